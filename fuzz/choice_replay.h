// Replay: re-draws a property target's case from a template of choices
// (usually a decoded input after a mutation) and records what the
// generator actually drew, ready for encode() (fuzz/choice_codec.h).
//
// A mutation changes one span; the draws before it are untouched, so the
// generator walks the same path up to that span and draws exactly the
// mutated values there. After it, the generator may take another path (a
// dim of 1 needs fewer values, a bigger rank one more dim span), so the
// replay aligns template spans to the generator's label() calls:
// - a label() takes the next template span when its label matches, else
//   the nearest one with that label within kLookahead spans (the spans in
//   between were not needed: skipped), else no span (a span the template
//   lacks: inserted, every draw lo, the simplest choice);
// - inside a span, integer draws take the span's integer choices in order
//   and bits32 draws its bits32 choices in order (so a template need not
//   know in which order a generator draws a scale's mantissa and exponent);
//   a missing choice is lo;
// - a value outside the requested range is clamped into it, so a template
//   may ask for "the largest" with INT64_MAX.
// With a fill seed, draws the template has no choice for are drawn from a
// PRNG instead of lo: a template cut after span i then regenerates the rest
// of the case with the generator's own distribution.
#pragma once

#include <optional>

#include "fuzz/choice_codec.h"

namespace qdiff::fuzz {

inline constexpr size_t kLookahead = 8;

class ReplaySource final : public props::Source {
 public:
  explicit ReplaySource(const ChoiceSequence& tmpl, std::optional<uint64_t> fill_seed = std::nullopt);
  int64_t integer(int64_t lo, int64_t hi) override;
  uint32_t bits32() override;
  void label(ChoiceLabel label) override;
  void categories(std::span<const int> weights) override;

  // What was drawn, with the labels and ranges the generator used.
  ChoiceSequence take() { return std::move(out_); }

 private:
  const Choice* next_of_kind(ChoiceKind kind);
  void record(Choice c);

  const ChoiceSequence& tmpl_;
  const Span* current_ = nullptr;  // template span being served; null: all lo
  size_t next_integer_ = 0, next_bits_ = 0;
  size_t cursor_ = 0;  // next template span to match
  ChoiceSequence out_;
  Categories pending_categories_;
  std::optional<props::PrngSource> fill_;  // draws without a template choice
};

struct Replayed {
  ChoiceSequence choices;
  DrawnCase drawn;
};
Replayed replay(const FuzzTarget& target, const ChoiceSequence& tmpl,
               std::optional<uint64_t> fill_seed = std::nullopt);

}  // namespace qdiff::fuzz
