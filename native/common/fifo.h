// A first-in first-out queue on a vector that gives its memory back when it
// drains. The output queues of every layer are empty nearly all the time, and
// a std::deque keeps a 4 KiB block per queue once used: across the dozen
// queues of one connection that was most of its memory.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace wasmrtc {

template <typename T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }

  void push_back(T v) { items_.push_back(std::move(v)); }
  template <typename... A>
  T& emplace_back(A&&... a) {
    return items_.emplace_back(std::forward<A>(a)...);
  }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void pop_front() {
    items_[head_] = T();  // release what the element holds now, not at compaction
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + ptrdiff_t(head_));
      head_ = 0;
    }
  }

  // Moves the front element out; false when empty.
  bool take(T& out) {
    if (empty()) return false;
    out = std::move(items_[head_]);
    pop_front();
    return true;
  }

  void clear() {
    items_.clear();
    head_ = 0;
    if (items_.capacity() * sizeof(T) > kKeepBytes) std::vector<T>().swap(items_);
  }

  iterator begin() { return items_.begin() + ptrdiff_t(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + ptrdiff_t(head_); }
  const_iterator end() const { return items_.end(); }
  void erase(iterator first, iterator last) {
    items_.erase(first, last);
    if (empty()) clear();
  }

 private:
  // Up to this much stays allocated while empty: a burst of packets reuses it, an idle connection
  // holds a few hundred bytes per queue instead of a deque block.
  static constexpr size_t kKeepBytes = 1024;
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace wasmrtc
