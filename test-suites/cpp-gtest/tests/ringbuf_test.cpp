// Staff tests for cs201 Lab 3 (copied into the work dir by the grader).
#include <gtest/gtest.h>

#include "ringbuf.hpp"

TEST(RingBuffer, StartsEmpty) {
  RingBuffer r(3);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.full());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.capacity(), 3u);
}

TEST(RingBuffer, FirstInFirstOut) {
  RingBuffer r(3);
  ASSERT_TRUE(r.push(1));
  ASSERT_TRUE(r.push(2));
  int v = 0;
  ASSERT_TRUE(r.pop(v));
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(r.pop(v));
  EXPECT_EQ(v, 2);
}

TEST(RingBuffer, RefusesWhenFull) {
  RingBuffer r(2);
  EXPECT_TRUE(r.push(1));
  EXPECT_TRUE(r.push(2));
  EXPECT_TRUE(r.full());
  EXPECT_FALSE(r.push(3));
  EXPECT_EQ(r.size(), 2u);
}

TEST(RingBuffer, RefusesWhenEmpty) {
  RingBuffer r(2);
  int v = 42;
  EXPECT_FALSE(r.pop(v));
  EXPECT_EQ(v, 42);
}

TEST(RingBuffer, WrapsAround) {
  RingBuffer r(3);
  int v = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(r.push(i));
    ASSERT_TRUE(r.pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_TRUE(r.empty());
}

TEST(RingBuffer, FullAfterWrapping) {
  RingBuffer r(3);
  int v = 0;
  r.push(1);
  r.push(2);
  r.pop(v);
  r.push(3);
  r.push(4);
  EXPECT_TRUE(r.full());
  for (int expected : {2, 3, 4}) {
    ASSERT_TRUE(r.pop(v));
    EXPECT_EQ(v, expected);
  }
}
