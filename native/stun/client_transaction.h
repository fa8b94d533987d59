// A STUN client transaction over an unreliable transport (RFC 8489 §6.2.1),
// sans-IO: the owner sends what poll_transmit() hands out, calls
// handle_timeout() at next_deadline(), and offers responses to handle_response().
#pragma once

#include <vector>

#include "common/time.h"
#include "stun/message.h"

namespace wasmrtc::stun {

struct RetransmitConfig {
  Duration rto = ms(500);  // initial RTO (§6.2.1: SHOULD be 500 ms or more)
  int max_transmissions = 7;  // Rc
  int final_wait_factor = 16;  // Rm: wait Rm * RTO after the last transmission
};

class ClientTransaction {
 public:
  enum class State { kIdle, kWaiting, kSucceeded, kErrorResponse, kTimedOut };

  ClientTransaction(TransactionId id, std::vector<uint8_t> request, RetransmitConfig config = {});

  // Schedules the first transmission at `now`.
  void start(Timestamp now);
  void handle_timeout(Timestamp now);
  // True if the message is this transaction's response (then the transaction ends).
  bool handle_response(Timestamp now, const Message& response);
  void cancel() { state_ = State::kTimedOut; }

  // Returns true (once per transmission due) when the request must be sent now.
  bool poll_transmit() {
    if (!transmit_due_) return false;
    transmit_due_ = false;
    return true;
  }
  const std::vector<uint8_t>& request() const { return request_; }
  const TransactionId& id() const { return id_; }
  Timestamp next_deadline() const { return state_ == State::kWaiting ? deadline_ : kNever; }

  State state() const { return state_; }
  bool done() const { return state_ != State::kIdle && state_ != State::kWaiting; }
  const Message& response() const { return response_; }
  int transmissions() const { return transmissions_; }
  // Round-trip time measured from the last transmission (Karn: only the last is unambiguous enough).
  Duration rtt() const { return rtt_; }

 private:
  void transmit(Timestamp now);

  TransactionId id_;
  std::vector<uint8_t> request_;
  RetransmitConfig config_;
  State state_ = State::kIdle;
  bool transmit_due_ = false;
  int transmissions_ = 0;
  Duration next_interval_ = 0;
  Timestamp deadline_ = kNever;
  Timestamp last_sent_ = 0;
  Duration rtt_ = 0;
  Message response_;
};

}  // namespace wasmrtc::stun
