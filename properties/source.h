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
//
// Hints for the structure-aware fuzz mutator (fuzz/custom_mutator.h): a
// generator calls label() right before the draws of one meaning (a dim, a
// scale, a value...), and weighted()/chance() announce their categories.
// The fuzzer's recorder (fuzz/choice_codec.h) turns them into labeled
// choices; every other engine ignores them, so they never change a draw.
//
// Draws must be sequenced: never two draws in the arguments of one call or
// the operands of one operator (f(src.boolean(), g(src)) or
// src.integer(..) * src.integer(..)). Their order is unspecified, gcc and
// clang differ, and a seed would then draw different cases in the default
// (gcc) and fuzz (clang) builds. Declarations and braced lists are fine:
// both evaluate left to right.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>

namespace qdiff::props {

// What the draws after a label() call mean, up to the next label() call (a
// "span"). The mutator relies on the conventions written beside each label.
enum class ChoiceLabel : uint8_t {
  other,        // anything below does not cover
  property,     // which of a fuzz target's properties runs
  validity,     // valid or deliberately invalid, and the defect
  rank,         // a rank or a count of dims (category or integer: +-1 adds or removes a dim)
  dim,          // a dim size: first draw a category, lowest = size 1, highest =
                // "any size", then (if any) the size itself as one integer draw
  dim_value,    // dim sizes drawn directly, one integer each
  layout,       // layout intent, dim modes, axes, scale/zero-point structure
  block_size,   // a block size
  dtype_range,  // a storage dtype and quant range
  contract,     // a rounding contract (pick over kAllContracts), or a qlinear
                // accumulation contract field (weighted; lowest = the default)
  scale,        // one scale: a category, highest = 1.m * 2^e from a bits32
                // mantissa (low 23 bits) and an integer exponent e
  zero_point,   // one zero-point value
  value_f32,    // one f32 input value: a category, highest = the value's raw
                // bits as one bits32 draw
  value_any,    // one f32 input value without the raw-bits category
  qvalue,       // one quantized (integer) value
  seed,         // the seed of a PRNG that fills a large tensor
  node_count,   // graph: the number of blocks, or whether an optional node exists
  node_kind,    // graph: the kind of a block
  mul_constant_shape,  // graph: the shape of a mul constant
  kCount
};

class Source {
 public:
  virtual ~Source() = default;
  // Uniform integer in [lo, hi] (inclusive); simplest is lo.
  virtual int64_t integer(int64_t lo, int64_t hi) = 0;
  // 32 raw bits (any float pattern, NaNs included).
  virtual uint32_t bits32() = 0;

  // Mutator hints (see the header comment); no-ops unless recorded.
  virtual void label(ChoiceLabel) {}
  // The next integer(0, total - 1) draw picks a category with these weights.
  virtual void categories(std::span<const int> /*weights*/) {}

  bool chance(int percent) {
    const int weights[2] = {percent, 100 - percent};
    categories(weights);
    return integer(0, 99) < percent;
  }
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
  // the first entries are the simplest. (Inline, as integer() of the final
  // PrngSource: fill_each's per-element draws then compile without a
  // virtual call.)
  size_t weighted(std::initializer_list<int> weights) {
    return weighted(std::span<const int>(weights.begin(), weights.size()));
  }
  size_t weighted(std::span<const int> weights) {
    int total = 0;
    for (int w : weights) total += w;
    categories(weights);
    int64_t r = integer(0, total - 1);
    size_t i = 0;
    for (int w : weights) {
      if (r < w) return i;
      r -= w;
      ++i;
    }
    return weights.size() - 1;
  }
};

// SplitMix64-backed Source: deterministic for a given seed.
class PrngSource final : public Source {
 public:
  explicit PrngSource(uint64_t seed) : state_(seed) {}
  int64_t integer(int64_t lo, int64_t hi) override {
    if (hi <= lo) return lo;
    const uint64_t span = uint64_t(hi) - uint64_t(lo) + 1;  // 0 means full 2^64
    if (span == 0) return int64_t(next());
    // The high 64 bits of next() * span: uniform in [0, span) up to a bias
    // of span / 2^64, without the 64-bit division of next() % span (its
    // cost per fuzz execution: docs/benchmarks.md).
    return int64_t(uint64_t(lo) + uint64_t((unsigned __int128)next() * span >> 64));
  }
  uint32_t bits32() override { return uint32_t(next() >> 32); }
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// f(source, i) for i in [0, n): small tensors draw each element from src
// (so each shrinks on its own); larger ones from a PrngSource seeded by one
// drawn seed (one choice instead of thousands).
template <typename F>
void fill_each(Source& src, int64_t n, F&& f) {
  if (n <= 16) {
    for (int64_t i = 0; i < n; ++i) f(src, i);
    return;
  }
  src.label(ChoiceLabel::seed);
  PrngSource prng(uint64_t(src.integer(0, std::numeric_limits<int64_t>::max() - 1)));
  for (int64_t i = 0; i < n; ++i) f(prng, i);
}

}  // namespace qdiff::props
