#include "fuzz/choice_replay.h"

#include <algorithm>

namespace qdiff::fuzz {

ReplaySource::ReplaySource(const ChoiceSequence& tmpl, std::optional<uint64_t> fill_seed) : tmpl_(tmpl) {
  if (fill_seed) fill_.emplace(*fill_seed);
  // Span 0 (draws before the first label) pairs with the template's span 0.
  if (!tmpl_.spans.empty()) {
    current_ = &tmpl_.spans[0];
    cursor_ = 1;
  }
  out_.spans.push_back(Span{});
}

void ReplaySource::label(ChoiceLabel label) {
  pending_categories_ = {};
  out_.spans.push_back(Span{label, {}});
  next_integer_ = next_bits_ = 0;
  current_ = nullptr;
  const size_t end = std::min(tmpl_.spans.size(), cursor_ + 1 + kLookahead);
  for (size_t j = cursor_; j < end; ++j) {
    if (tmpl_.spans[j].label == label) {
      current_ = &tmpl_.spans[j];
      cursor_ = j + 1;
      return;
    }
  }
}

void ReplaySource::categories(std::span<const int> weights) {
  pending_categories_ = Categories(weights);
}

const Choice* ReplaySource::next_of_kind(ChoiceKind kind) {
  if (!current_) return nullptr;
  size_t& next = kind == ChoiceKind::integer ? next_integer_ : next_bits_;
  const auto& choices = current_->choices;
  while (next < choices.size()) {
    const Choice& c = choices[next++];
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

void ReplaySource::record(Choice c) {
  c.categories = pending_categories_;
  pending_categories_ = {};
  out_.spans.back().choices.push_back(std::move(c));
}

int64_t ReplaySource::integer(int64_t lo, int64_t hi) {
  Choice c;
  c.kind = ChoiceKind::integer;
  c.lo = lo;
  c.hi = hi;
  c.value = lo;
  if (const Choice* t = next_of_kind(ChoiceKind::integer)) {
    if (hi > lo) c.value = std::clamp(t->value, lo, hi);
  } else if (fill_) {
    c.value = fill_->integer(lo, hi);
  }
  const int64_t v = c.value;
  record(std::move(c));
  return v;
}

uint32_t ReplaySource::bits32() {
  Choice c;
  c.kind = ChoiceKind::bits32;
  c.lo = 0;
  c.hi = int64_t{UINT32_MAX};
  if (const Choice* t = next_of_kind(ChoiceKind::bits32)) {
    c.value = std::clamp<int64_t>(t->value, 0, UINT32_MAX);
  } else if (fill_) {
    c.value = int64_t{fill_->bits32()};
  }
  pending_categories_ = {};
  const uint32_t v = uint32_t(c.value);
  record(std::move(c));
  return v;
}

Replayed replay(const FuzzTarget& target, const ChoiceSequence& tmpl, std::optional<uint64_t> fill_seed) {
  ReplaySource src(tmpl, fill_seed);
  Replayed r;
  r.drawn = draw_target_case(target, src);
  r.choices = src.take();
  return r;
}

}  // namespace qdiff::fuzz
