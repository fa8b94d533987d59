// Debian's libusrsctp (the SCTP stack Firefox uses) as an in-process peer: its
// callback lower layer (AF_CONN) hands us packets, we feed it packets, and its
// timers run on our virtual clock (usrsctp_init_nothreads + usrsctp_handle_timers).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/bytes.h"

struct socket;

namespace wasmrtc::sctp::testing {

class UsrsctpPeer {
 public:
  UsrsctpPeer();
  ~UsrsctpPeer();

  void connect();  // both ends connect, as data channels do
  void feed(ByteView packet);
  void advance(uint32_t elapsed_ms);
  bool send(uint16_t stream, uint32_t ppid, ByteView data, bool ordered = true, int max_retransmits = -1);
  void reset_stream(uint16_t stream);
  void shutdown();

  std::deque<std::vector<uint8_t>> outgoing;  // packets usrsctp wants sent
  struct Message {
    uint16_t stream;
    uint32_t ppid;
    std::vector<uint8_t> data;
  };
  std::vector<Message> received;
  bool connected = false;
  bool closed = false;
  std::vector<uint16_t> reset_streams_seen;

  // Called from the C callbacks.
  void on_data(const void* data, size_t len, uint16_t stream, uint32_t ppid, int flags);
  void on_notification(const void* data, size_t len);

 private:
  struct socket* sock_ = nullptr;
  std::vector<uint8_t> partial_;
};

}  // namespace wasmrtc::sctp::testing
