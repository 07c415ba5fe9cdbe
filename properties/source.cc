#include "properties/source.h"

namespace qdiff::props {

size_t Source::weighted(std::initializer_list<int> weights) {
  int total = 0;
  for (int w : weights) total += w;
  categories(std::span<const int>(weights.begin(), weights.size()));
  int64_t r = integer(0, total - 1);
  size_t i = 0;
  for (int w : weights) {
    if (r < w) return i;
    r -= w;
    ++i;
  }
  return weights.size() - 1;
}

uint64_t PrngSource::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int64_t PrngSource::integer(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t span = uint64_t(hi) - uint64_t(lo) + 1;  // 0 means full 2^64
  if (span == 0) return int64_t(next());
  return int64_t(uint64_t(lo) + next() % span);
}

}  // namespace qdiff::props
