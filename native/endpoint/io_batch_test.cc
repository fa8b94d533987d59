#include "endpoint/io_batch.h"

#include <gtest/gtest.h>

namespace wasmrtc::io {
namespace {

TEST(IoBatch, InputRecordsRoundTrip) {
  std::vector<uint8_t> buf;
  SocketAddress a = SocketAddress::v4(127, 0, 0, 1, 5000);
  SocketAddress b;
  ASSERT_TRUE(SocketAddress::parse_ip("::1", 6000, b));
  const uint8_t one[] = {1, 2, 3, 4, 5};
  append_input(buf, 0, a, ByteView(one, sizeof one));
  append_input(buf, 3, b, ByteView());
  InputBatchReader r(buf.data(), buf.size());
  InputDatagram d;
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.from, a);
  EXPECT_EQ(d.socket, 0);
  EXPECT_TRUE(d.data.equals(ByteView(one, sizeof one)));
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.from, b);
  EXPECT_EQ(d.socket, 3);
  EXPECT_EQ(d.data.size, 0u);
  EXPECT_FALSE(r.next(d));
  EXPECT_TRUE(r.ok());
}

TEST(IoBatch, TruncatedOrBadInputStopsWithoutOverrun) {
  std::vector<uint8_t> buf;
  const uint8_t payload[8] = {};
  append_input(buf, 0, SocketAddress::v4(1, 2, 3, 4, 5), ByteView(payload, sizeof payload));
  for (size_t cut = 1; cut < buf.size(); ++cut) {
    InputBatchReader r(buf.data(), buf.size() - cut);
    InputDatagram d;
    // A record missing payload bytes (or header bytes) must not be delivered.
    if (buf.size() - cut < kInputHeaderSize + sizeof payload) {
      EXPECT_FALSE(r.next(d)) << cut;
      EXPECT_FALSE(r.ok());
    }
  }
  std::vector<uint8_t> bad = buf;
  bad[4] = 9;  // unknown family
  InputBatchReader r(bad.data(), bad.size());
  InputDatagram d;
  EXPECT_FALSE(r.next(d));
  EXPECT_FALSE(r.ok());
}

TEST(IoBatch, OutputWriterRefusesWhatDoesNotFit) {
  std::vector<uint8_t> out(kOutputHeaderSize + 8);
  OutputBatchWriter w(out.data(), out.size());
  const uint8_t p[5] = {9, 8, 7, 6, 5};
  OutputRecord r;
  r.kind = kKindTransmit;
  r.socket = 2;
  r.address = SocketAddress::v4(10, 0, 0, 1, 99);
  r.payload = ByteView(p, sizeof p);
  ASSERT_TRUE(w.write(r));
  EXPECT_FALSE(w.write(r));
  const uint8_t* it = out.data();
  OutputRecord back;
  ASSERT_TRUE(read_output(it, out.data() + w.size(), back));
  EXPECT_EQ(back.kind, kKindTransmit);
  EXPECT_EQ(back.socket, 2);
  EXPECT_EQ(back.address, r.address);
  EXPECT_TRUE(back.payload.equals(r.payload));
}

}  // namespace
}  // namespace wasmrtc::io
