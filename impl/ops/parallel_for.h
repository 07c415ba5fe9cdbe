// Splitting fused-operator work across threads: [0, count) is cut into
// `threads` contiguous ranges, the calling thread taking the first. Each
// output is computed entirely by one thread by the same formula, so
// results never depend on the thread count. An exception thrown by any
// range is rethrown on the calling thread after all have joined.
#pragma once

#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "impl/options.h"

namespace qdiff::impl {

// Threads for `work` units (ImplOptions::parallel_threshold is compared
// against it), at most `max_useful`.
// `work` is a double: products of dims can pass 2^63.
inline int fused_thread_count(const ImplOptions& options, double work, int64_t max_useful) {
  if (work < double(options.parallel_threshold) || max_useful < 2) return 1;
  int64_t t = options.threads > 0 ? options.threads : int64_t(std::thread::hardware_concurrency());
  if (t < 1) t = 1;
  return int(t < max_useful ? t : max_useful);
}

// fn(begin, end, thread_index) over `threads` ranges of [0, count).
template <class Fn>
void parallel_for(int64_t count, int threads, Fn&& fn) {
  if (threads <= 1 || count <= 1) {
    fn(int64_t{0}, count, 0);
    return;
  }
  if (threads > count) threads = int(count);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  workers.reserve(size_t(threads - 1));
  const auto range = [&](int t) { return count * t / threads; };
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        fn(range(t), range(t + 1), t);
      } catch (...) {
        errors[size_t(t)] = std::current_exception();
      }
    });
  }
  try {
    fn(range(0), range(1), 0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& w : workers) w.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace qdiff::impl
