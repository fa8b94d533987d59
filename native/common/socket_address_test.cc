#include "common/socket_address.h"

#include <gtest/gtest.h>

#include "common/bytes.h"

namespace wasmrtc {
namespace {

TEST(SocketAddress, ParsesAndPrintsIPv4) {
  SocketAddress a;
  ASSERT_TRUE(SocketAddress::parse_ip("127.0.0.1", 3478, a));
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.to_string(), "127.0.0.1:3478");
  EXPECT_FALSE(SocketAddress::parse_ip("256.0.0.1", 1, a));
  EXPECT_FALSE(SocketAddress::parse_ip("1.2.3", 1, a));
  EXPECT_FALSE(SocketAddress::parse_ip("1.2.3.4.5", 1, a));
  EXPECT_FALSE(SocketAddress::parse_ip("", 1, a));
}

TEST(SocketAddress, ParsesAndPrintsIPv6PerRfc5952) {
  SocketAddress a;
  ASSERT_TRUE(SocketAddress::parse_ip("::1", 9, a));
  EXPECT_EQ(a.to_string(), "[::1]:9");
  ASSERT_TRUE(SocketAddress::parse_ip("2001:DB8:0:0:1:0:0:1", 1, a));
  EXPECT_EQ(a.ip_string(), "2001:db8::1:0:0:1");
  ASSERT_TRUE(SocketAddress::parse_ip("::ffff:1.2.3.4", 1, a));
  EXPECT_EQ(a.ip[15], 4);
  EXPECT_FALSE(SocketAddress::parse_ip("1::2::3", 1, a));
  EXPECT_FALSE(SocketAddress::parse_ip("12345::", 1, a));
  EXPECT_FALSE(SocketAddress::parse_ip("1:2:3:4:5:6:7:8:9", 1, a));
}

TEST(ByteReader, NeverReadsPastTheEnd) {
  const uint8_t data[3] = {1, 2, 3};
  ByteReader r(data, sizeof data);
  uint16_t v16 = 0;
  uint32_t v32 = 0;
  EXPECT_TRUE(r.u16(v16));
  EXPECT_EQ(v16, 0x0102);
  EXPECT_FALSE(r.u32(v32));
  EXPECT_FALSE(r.ok());
  uint8_t v8 = 0;
  EXPECT_FALSE(r.u8(v8));  // a failed reader stays failed
}

}  // namespace
}  // namespace wasmrtc
