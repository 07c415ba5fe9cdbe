// Source: the abstract stream of choices a generator draws from.
//
// A property is written once against Source and runs under three engines:
// RapidCheck (properties/rc_source.h: every draw is a shrinkable
// *rc::gen::inRange, so counterexamples shrink on meaningful values),
// libFuzzer (properties/fdp_source.h: draws consume FuzzedDataProvider
// bytes) and a seeded PRNG (PrngSource below, used to fill large tensors
// from one drawn seed and for deterministic sampling).
//
// Convention that makes shrinking work: the lowest value of every draw is
// the simplest choice (dim 1, per-tensor, torchao, valid input...). Both
// RapidCheck and an exhausted FuzzedDataProvider fall back to `lo`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

namespace qdiff::props {

class Source {
 public:
  virtual ~Source() = default;
  // Uniform integer in [lo, hi] (inclusive); simplest is lo.
  virtual int64_t integer(int64_t lo, int64_t hi) = 0;
  // 32 raw bits (any float pattern, NaNs included).
  virtual uint32_t bits32() = 0;

  bool chance(int percent) { return integer(0, 99) < percent; }
  bool boolean() { return integer(0, 1) == 1; }
  size_t index(size_t n) { return size_t(integer(0, int64_t(n) - 1)); }
  template <typename T>
  T pick(std::initializer_list<T> options) {
    return options.begin()[index(options.size())];
  }
  template <typename T>
  T pick(std::span<const T> options) {
    return options[index(options.size())];
  }
  // Index into `weights` with probability proportional to each weight;
  // the first entries are the simplest.
  size_t weighted(std::initializer_list<int> weights);
};

// SplitMix64-backed Source: deterministic for a given seed.
class PrngSource final : public Source {
 public:
  explicit PrngSource(uint64_t seed) : state_(seed) {}
  int64_t integer(int64_t lo, int64_t hi) override;
  uint32_t bits32() override { return uint32_t(next() >> 32); }
  uint64_t next();

 private:
  uint64_t state_;
};

}  // namespace qdiff::props
