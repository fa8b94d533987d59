#include "sctp/testing/usrsctp_peer.h"

#ifdef WASMRTC_HAVE_USRSCTP
#include <usrsctp.h>

#include <sys/time.h>
#include <time.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
// usrsctp stamps chunks and measures RTT with gettimeofday() while its timers run on the ticks
// we give usrsctp_handle_timers(). Tests run hours of virtual time in milliseconds of real time, so
// with the real clock every chunk looks sent "just now": T3 fires on virtual time but
// sctp_mark_all_for_resend() skips chunks younger than the RTO by the real clock, marks nothing,
// only doubles the RTO, and after 10 such expiries usrsctp aborts (the "stall" under tail loss).
// Its RTT samples read 0 for the same reason. So the test process's gettimeofday() is
// this virtual clock for as long as usrsctp peers exist; libusrsctp.so calls it through the PLT.
int64_t g_virtual_us = 0;  // advanced by UsrsctpPeer::advance(), never reset (shared usrsctp stack)
int g_peers = 0;
}  // namespace

extern "C" int gettimeofday(struct timeval* tv, void* tz) {
  (void)tz;
  if (g_peers > 0) {
    const int64_t t = int64_t(1700000000) * 1000000 + g_virtual_us;
    tv->tv_sec = time_t(t / 1000000);
    tv->tv_usec = suseconds_t(t % 1000000);
    return 0;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = suseconds_t(ts.tv_nsec / 1000);
  return 0;
}

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
      p->on_data(data, len, rcv.rcv_sid, ntohl(rcv.rcv_ppid), flags, rcv.rcv_tsn);
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

// usrsctp 0.9.5 implements the option but its public header does not declare it (nor does the
// library export the sctp_interleaving_supported sysctl); the value is usrsctp's own.
#ifndef SCTP_INTERLEAVING_SUPPORTED
#define SCTP_INTERLEAVING_SUPPORTED 0x00001206
#endif

UsrsctpPeer::UsrsctpPeer(bool interleaving) {
  ++g_peers;
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
  // Whole messages only (our largest is 256 KiB). With partial delivery, usrsctp 0.9.5 does not
  // deliver the next message of a stream whose partially delivered message a FORWARD-TSN
  // aborted once that stream has been reset (it holds it, "pending 1", although it answered
  // the reset "performed"): seen in usrsctp_matrix_test.cc with max_retransmits 1 at 10% loss.
  // PARTIAL_DELIVERY_POINT=0 in the environment keeps usrsctp's default to look at it again.
  const char* pd_env = getenv("PARTIAL_DELIVERY_POINT");
  uint32_t pd = pd_env ? uint32_t(atoi(pd_env)) : uint32_t(buf);
  if (pd) usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof pd);
  struct sctp_assoc_value av = {SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ};
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av);
  if (interleaving) {
    // Level 2 (messages of different streams interleave) first: usrsctp refuses I-DATA without it.
    int level = 2;
    struct sctp_assoc_value iv = {SCTP_FUTURE_ASSOC, 1};
    interleaving_set =
        usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof level) == 0 &&
        usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_INTERLEAVING_SUPPORTED, &iv, sizeof iv) == 0;
  }
  struct sctp_initmsg init = {};
  init.sinit_num_ostreams = 1024;
  init.sinit_max_instreams = 1024;
  usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init);
  uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_PARTIAL_DELIVERY_EVENT};
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
  --g_peers;
}

void UsrsctpPeer::connect() {
  struct sockaddr_conn sconn = {};
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(5000);
  sconn.sconn_addr = this;
  usrsctp_connect(sock_, reinterpret_cast<struct sockaddr*>(&sconn), sizeof sconn);
}

void UsrsctpPeer::feed(ByteView packet) { usrsctp_conninput(this, packet.data, packet.size, 0); }

void UsrsctpPeer::advance(uint32_t elapsed_ms) {
  g_virtual_us += int64_t(elapsed_ms) * 1000;
  usrsctp_handle_timers(elapsed_ms);
}

bool UsrsctpPeer::send(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int max_retransmits) {
  return send_pr(stream, ppid, data, ordered, max_retransmits >= 0 ? SCTP_PR_SCTP_RTX : 0, max_retransmits);
}

bool UsrsctpPeer::send_timed(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int lifetime_ms) {
  return send_pr(stream, ppid, data, ordered, lifetime_ms >= 0 ? SCTP_PR_SCTP_TTL : 0, lifetime_ms);
}

bool UsrsctpPeer::send_pr(uint16_t stream, uint32_t ppid, ByteView data, bool ordered, int policy, int value) {
  struct sctp_sendv_spa spa = {};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = ordered ? 0 : SCTP_UNORDERED;
  if (policy != 0) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = uint16_t(policy);
    spa.sendv_prinfo.pr_value = uint32_t(value);
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

std::string UsrsctpPeer::status() {
  struct sctp_status st = {};
  socklen_t len = sizeof st;
  if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &st, &len) != 0) return "no status";
  char buf[200];
  snprintf(buf, sizeof buf, "state %d rwnd %u unacked %u pending %u cwnd %u rto %u srtt %u", st.sstat_state,
           st.sstat_rwnd, st.sstat_unackdata, st.sstat_penddata, st.sstat_primary.spinfo_cwnd,
           st.sstat_primary.spinfo_rto, st.sstat_primary.spinfo_srtt);
  return buf;
}

// usrsctp hands a large message over in pieces (at most about 64 KiB per callback) and may hand
// over later messages between those pieces, even of the same stream. Pieces are joined per
// message (rcv_tsn is the message's first TSN) and a message takes its place in `received` by
// when its first piece came, which is the order usrsctp delivered the messages in.
void UsrsctpPeer::on_data(const void* data, size_t len, uint16_t stream, uint32_t ppid, int flags, uint32_t tsn) {
  if (getenv("TRACE")) printf("usrsctp delivers stream %u ppid %u len %zu flags %x tsn %u\n", stream, ppid, len, flags, tsn);
  auto* b = static_cast<const uint8_t*>(data);
  auto it = partial_.find(tsn);
  if (it == partial_.end()) it = partial_.emplace(tsn, Partial{next_order_++, {stream, ppid, {}}}).first;
  it->second.message.data.insert(it->second.message.data.end(), b, b + len);
  if (!(flags & MSG_EOR)) return;
  const uint64_t order = it->second.order;
  size_t pos = received.size();
  while (pos > 0 && received_order_[pos - 1] > order) --pos;
  received.insert(received.begin() + long(pos), std::move(it->second.message));
  received_order_.insert(received_order_.begin() + long(pos), order);
  partial_.erase(it);
}

void UsrsctpPeer::on_notification(const void* data, size_t len) {
  auto* n = static_cast<const union sctp_notification*>(data);
  if (len < sizeof(n->sn_header)) return;
  if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
    if (n->sn_assoc_change.sac_state == SCTP_COMM_UP) connected = true;
    if (n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP || n->sn_assoc_change.sac_state == SCTP_COMM_LOST) {
      closed = true;
    }
  } else if (n->sn_header.sn_type == SCTP_PARTIAL_DELIVERY_EVENT) {
    // A message delivered in pieces was given up (PR-SCTP): drop the pieces we hold.
    if (n->sn_pdapi_event.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED) {
      for (auto it = partial_.begin(); it != partial_.end();) {
        it = it->second.message.stream == n->sn_pdapi_event.pdapi_stream ? partial_.erase(it) : std::next(it);
      }
      ++partial_deliveries_aborted;
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
UsrsctpPeer::UsrsctpPeer(bool) {}
UsrsctpPeer::~UsrsctpPeer() = default;
void UsrsctpPeer::connect() {}
void UsrsctpPeer::feed(ByteView) {}
void UsrsctpPeer::advance(uint32_t) {}
bool UsrsctpPeer::send(uint16_t, uint32_t, ByteView, bool, int) { return false; }
bool UsrsctpPeer::send_timed(uint16_t, uint32_t, ByteView, bool, int) { return false; }
bool UsrsctpPeer::send_pr(uint16_t, uint32_t, ByteView, bool, int, int) { return false; }
void UsrsctpPeer::reset_stream(uint16_t) {}
void UsrsctpPeer::shutdown() {}
std::string UsrsctpPeer::status() { return {}; }
void UsrsctpPeer::on_data(const void*, size_t, uint16_t, uint32_t, int, uint32_t) {}
void UsrsctpPeer::on_notification(const void*, size_t) {}
}  // namespace wasmrtc::sctp::testing

#endif
