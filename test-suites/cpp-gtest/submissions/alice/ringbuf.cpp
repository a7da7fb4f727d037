#include "ringbuf.hpp"

RingBuffer::RingBuffer(std::size_t capacity) : data_(capacity) {}

bool RingBuffer::push(int value) {
  if (full()) return false;
  data_[(head_ + count_) % data_.size()] = value;
  ++count_;
  return true;
}

bool RingBuffer::pop(int& value) {
  if (empty()) return false;
  value = data_[head_];
  head_ = (head_ + 1) % data_.size();
  --count_;
  return true;
}

std::size_t RingBuffer::size() const { return count_; }
std::size_t RingBuffer::capacity() const { return data_.size(); }
bool RingBuffer::empty() const { return count_ == 0; }
bool RingBuffer::full() const { return count_ == data_.size(); }
