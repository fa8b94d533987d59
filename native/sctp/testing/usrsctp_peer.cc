#include "sctp/testing/usrsctp_peer.h"

#ifdef WASMRTC_HAVE_USRSCTP
#include <usrsctp.h>

#include <cstdarg>
#include <cstring>

namespace wasmrtc::sctp::testing {

namespace {

int conn_output(void* addr, void* buffer, size_t length, uint8_t, uint8_t) {
  auto* p = static_cast<UsrsctpPeer*>(addr);
  auto* b = static_cast<uint8_t*>(buffer);
  p->outgoing.emplace_back(b, b + length);
  return 0;
}

int receive_cb(struct socket*, union sctp_sockstore, void* data, size_t len, struct sctp_rcvinfo rcv, int flags,
               void* ulp_info) {
  auto* p = static_cast<UsrsctpPeer*>(ulp_info);
  if (data) {
    if (flags & MSG_NOTIFICATION) {
      p->on_notification(data, len);
    } else {
      p->on_data(data, len, rcv.rcv_sid, ntohl(rcv.rcv_ppid), flags);
    }
    free(data);
  }
  return 1;
}

void ensure_init() {
  static bool done = [] {
    usrsctp_init_nothreads(0, conn_output, nullptr);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    return true;
  }();
  (void)done;
}

}  // namespace

UsrsctpPeer::UsrsctpPeer() {
  ensure_init();
  usrsctp_register_address(this);
  sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, nullptr, 0, this);
  usrsctp_set_non_blocking(sock_, 1);
  struct linger l = {1, 0};
  usrsctp_setsockopt(sock_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  int on = 1;
  int buf = 4 * 1024 * 1024;  // room for the largest test messages at once
  usrsctp_setsockopt(sock_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  usrsctp_setsockopt(sock_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
  struct sctp_assoc_value av = {SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ};
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av);
  struct sctp_initmsg init = {};
  init.sinit_num_ostreams = 1024;
  init.sinit_max_instreams = 1024;
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init);
  uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
  for (uint16_t e : events) {
    struct sctp_event ev = {};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_on = 1;
    ev.se_type = e;
    usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
  }
  struct sockaddr_conn sconn = {};
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(5000);
  sconn.sconn_addr = this;
  usrsctp_bind(sock_, reinterpret_cast<struct sockaddr*>(&sconn), sizeof sconn);
}

UsrsctpPeer::~UsrsctpPeer() {
  if (sock_) usrsctp_close(sock_);
  usrsctp_deregister_address(this);
}

void UsrsctpPeer::connect() {
  struct sockaddr_conn sconn = {};
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(5000);
  sconn.sconn_addr = this;
  usrsctp_connect(sock_, reinterpret_cast<struct sockaddr*>(&sconn), sizeof sconn);
}

void UsrsctpPeer::feed(ByteView packet) { usrsctp_conninput(this, packet.data, packet.size, 0); }

void UsrsctpPeer::advance(uint32_t elapsed_ms) { usrsctp_handle_timers(elapsed_ms); }

bool UsrsctpPeer::send(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int max_retransmits) {
  struct sctp_sendv_spa spa = {};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = ordered ? 0 : SCTP_UNORDERED;
  if (max_retransmits >= 0) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    spa.sendv_prinfo.pr_value = uint32_t(max_retransmits);
  }
  ssize_t n = usrsctp_sendv(sock_, data.data, data.size, nullptr, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0);
  return n == ssize_t(data.size);
}

void UsrsctpPeer::reset_stream(uint16_t stream) {
  size_t len = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
  std::vector<uint8_t> buf(len);
  auto* srs = reinterpret_cast<struct sctp_reset_streams*>(buf.data());
  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = 1;
  srs->srs_stream_list[0] = stream;
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, socklen_t(len));
}

void UsrsctpPeer::shutdown() { usrsctp_shutdown(sock_, SHUT_WR); }

void UsrsctpPeer::on_data(const void* data, size_t len, uint16_t stream, uint32_t ppid, int flags) {
  auto* b = static_cast<const uint8_t*>(data);
  partial_.insert(partial_.end(), b, b + len);
  if (flags & MSG_EOR) {
    received.push_back({stream, ppid, std::move(partial_)});
    partial_.clear();
  }
}

void UsrsctpPeer::on_notification(const void* data, size_t len) {
  auto* n = static_cast<const union sctp_notification*>(data);
  if (len < sizeof(n->sn_header)) return;
  if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
    if (n->sn_assoc_change.sac_state == SCTP_COMM_UP) connected = true;
    if (n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP || n->sn_assoc_change.sac_state == SCTP_COMM_LOST) {
      closed = true;
    }
  } else if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT) {
    const auto& e = n->sn_strreset_event;
    size_t count = (e.strreset_length - sizeof(struct sctp_stream_reset_event)) / sizeof(uint16_t);
    for (size_t i = 0; i < count; ++i) reset_streams_seen.push_back(e.strreset_stream_list[i]);
  }
}

}  // namespace wasmrtc::sctp::testing

#else  // no libusrsctp: the tests that need it are not built

namespace wasmrtc::sctp::testing {
UsrsctpPeer::UsrsctpPeer() = default;
UsrsctpPeer::~UsrsctpPeer() = default;
void UsrsctpPeer::connect() {}
void UsrsctpPeer::feed(ByteView) {}
void UsrsctpPeer::advance(uint32_t) {}
bool UsrsctpPeer::send(uint16_t, uint32_t, ByteView, bool, int) { return false; }
void UsrsctpPeer::reset_stream(uint16_t) {}
void UsrsctpPeer::shutdown() {}
void UsrsctpPeer::on_data(const void*, size_t, uint16_t, uint32_t, int) {}
void UsrsctpPeer::on_notification(const void*, size_t) {}
}  // namespace wasmrtc::sctp::testing

#endif
