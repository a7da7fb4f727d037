// cs201 Lab 3: a fixed-capacity ring buffer of ints. Given to students; implement it in
// ringbuf.cpp. (A support file: the grader copies this one into the work dir.)
#pragma once

#include <cstddef>
#include <vector>

class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity);
  bool push(int value);  // appends at the back; false (and no change) when full
  bool pop(int& value);  // takes from the front; false (and no change) when empty
  std::size_t size() const;
  std::size_t capacity() const;
  bool empty() const;
  bool full() const;

 private:
  std::vector<int> data_;
  std::size_t head_ = 0;   // index of the front element
  std::size_t count_ = 0;  // number of elements held
};
