#include "stun/client_transaction.h"

#include <utility>

namespace wasmrtc::stun {

ClientTransaction::ClientTransaction(TransactionId id, std::vector<uint8_t> request, RetransmitConfig config)
    : id_(id), request_(std::move(request)), config_(config) {
  if (config_.rto <= 0) config_.rto = ms(500);
  if (config_.max_transmissions < 1) config_.max_transmissions = 1;
  if (config_.final_wait_factor < 1) config_.final_wait_factor = 1;
}

void ClientTransaction::start(Timestamp now) {
  if (state_ != State::kIdle) return;
  state_ = State::kWaiting;
  next_interval_ = config_.rto;
  transmit(now);
}

void ClientTransaction::transmit(Timestamp now) {
  transmit_due_ = true;
  last_sent_ = now;
  ++transmissions_;
  // §6.2.1: intervals double (RTO, 2*RTO, ...); after Rc sends, wait Rm*RTO.
  if (transmissions_ < config_.max_transmissions) {
    deadline_ = now + next_interval_;
    next_interval_ *= 2;
  } else {
    deadline_ = now + config_.rto * config_.final_wait_factor;
  }
}

void ClientTransaction::handle_timeout(Timestamp now) {
  if (state_ != State::kWaiting || now < deadline_) return;
  if (transmissions_ >= config_.max_transmissions) {
    state_ = State::kTimedOut;
    transmit_due_ = false;
    return;
  }
  transmit(deadline_);
}

bool ClientTransaction::handle_response(Timestamp now, const Message& response) {
  if (state_ != State::kWaiting || response.transaction_id() != id_) return false;
  MessageClass c = response.message_class();
  if (c != MessageClass::kSuccess && c != MessageClass::kError) return false;
  response_ = response;
  rtt_ = now - last_sent_;
  state_ = c == MessageClass::kSuccess ? State::kSucceeded : State::kErrorResponse;
  transmit_due_ = false;
  return true;
}

}  // namespace wasmrtc::stun
