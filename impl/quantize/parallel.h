// Splitting a call across threads: the flattened element range is cut into
// contiguous chunks (boundaries multiples of 64 elements, so threads do not
// share output cache lines), one per thread, the calling thread taking the
// first. Every element is computed by the same formula whichever chunk it
// falls in, so results never depend on the thread count.
#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include "impl/options.h"

namespace qdiff::impl {

inline int thread_count(const ImplOptions& options, int64_t numel) {
  if (numel < options.parallel_threshold || numel < 2) return 1;
  int64_t t = options.threads > 0 ? options.threads
                                  : int64_t(std::thread::hardware_concurrency());
  if (t < 1) t = 1;
  const int64_t chunks_of_64 = (numel + 63) / 64;
  return int(t < chunks_of_64 ? t : chunks_of_64);
}

// Runs fn(first, last, chunk) over [0, numel) in `threads` chunks (chunk =
// 0, 1, ...); returns the OR of the results.
template <class Fn>
bool parallel_chunks(int64_t numel, int threads, Fn&& fn) {
  if (threads <= 1) return fn(int64_t{0}, numel, 0);
  const int64_t per = ((numel + threads - 1) / threads + 63) / 64 * 64;
  std::vector<char> flags(size_t(threads), 0);
  std::vector<std::thread> workers;
  workers.reserve(size_t(threads - 1));
  for (int t = 1; t < threads; ++t) {
    const int64_t first = per * t;
    const int64_t last = first + per < numel ? first + per : numel;
    if (first >= last) break;
    workers.emplace_back([&, t, first, last] { flags[size_t(t)] = fn(first, last, t) ? 1 : 0; });
  }
  flags[0] = fn(int64_t{0}, per < numel ? per : numel, 0) ? 1 : 0;
  for (auto& w : workers) w.join();
  for (char f : flags) {
    if (f) return true;
  }
  return false;
}

}  // namespace qdiff::impl
