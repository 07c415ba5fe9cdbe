#include "fuzz/choice_codec.h"

#include <exception>

namespace qdiff::fuzz {

std::string_view choice_label_name(ChoiceLabel label) {
  switch (label) {
    case ChoiceLabel::other: return "other";
    case ChoiceLabel::property: return "property";
    case ChoiceLabel::validity: return "validity";
    case ChoiceLabel::rank: return "rank";
    case ChoiceLabel::dim: return "dim";
    case ChoiceLabel::dim_value: return "dim_value";
    case ChoiceLabel::layout: return "layout";
    case ChoiceLabel::block_size: return "block_size";
    case ChoiceLabel::dtype_range: return "dtype_range";
    case ChoiceLabel::contract: return "contract";
    case ChoiceLabel::scale: return "scale";
    case ChoiceLabel::zero_point: return "zero_point";
    case ChoiceLabel::value_f32: return "value_f32";
    case ChoiceLabel::value_any: return "value_any";
    case ChoiceLabel::qvalue: return "qvalue";
    case ChoiceLabel::seed: return "seed";
    case ChoiceLabel::node_count: return "node_count";
    case ChoiceLabel::node_kind: return "node_kind";
    case ChoiceLabel::mul_constant_shape: return "mul_constant_shape";
    case ChoiceLabel::kCount: break;
  }
  return "?";
}

Categories::Categories(std::span<const int> weights) {
  if (weights.size() > kMax) return;
  for (int w : weights) {
    if (w < 0 || w > INT16_MAX) return;
  }
  for (size_t i = 0; i < weights.size(); ++i) weights_[i] = int16_t(weights[i]);
  size_ = uint8_t(weights.size());
}

int byte_width(const Choice& c) {
  if (c.hi <= c.lo) return 0;
  // FuzzedDataProvider::ConsumeIntegralInRange: one byte per 8 bits of the
  // range, while (range >> offset) > 0.
  const uint64_t range = uint64_t(c.hi) - uint64_t(c.lo);
  int n = 0;
  while (n < 8 && (range >> (8 * n)) > 0) ++n;
  return n;
}

uint64_t raw_value(const Choice& c) { return uint64_t(c.value) - uint64_t(c.lo); }

size_t ChoiceSequence::draw_count() const {
  size_t n = 0;
  for (const auto& s : spans) n += s.choices.size();
  return n;
}

std::vector<Choice> ChoiceSequence::flat() const {
  std::vector<Choice> all;
  all.reserve(draw_count());
  for (const auto& s : spans) all.insert(all.end(), s.choices.begin(), s.choices.end());
  return all;
}

namespace {

// Bytes needed to write `raw` (at least one).
int minimal_width(uint64_t raw) {
  int n = 1;
  while (n < 8 && (raw >> (8 * n)) > 0) ++n;
  return n;
}

}  // namespace

std::vector<uint8_t> encode(const ChoiceSequence& seq) {
  // Bytes up to and including the last draw that needs any (everything
  // after it reads as lo), that draw in its minimal width: the provider
  // reads it from the front of the buffer and stops when the buffer ends.
  size_t total = 0, used = 0;
  const Choice* last = nullptr;
  for (const Span& s : seq.spans) {
    for (const Choice& c : s.choices) {
      used += size_t(byte_width(c));
      if (byte_width(c) > 0 && raw_value(c) != 0) {
        total = used - size_t(byte_width(c)) + size_t(minimal_width(raw_value(c)));
        last = &c;
      }
    }
  }
  std::vector<uint8_t> bytes(total);
  if (!last) return bytes;
  size_t pos = total;  // the first draw sits at the end of the buffer
  for (const Span& s : seq.spans) {
    for (const Choice& c : s.choices) {
      const uint64_t raw = raw_value(c);
      const int n = &c == last ? minimal_width(raw) : byte_width(c);
      // Read from the end, most significant byte first.
      for (int k = 0; k < n; ++k) bytes[pos - 1 - size_t(k)] = uint8_t(raw >> (8 * (n - 1 - k)));
      pos -= size_t(n);
      if (&c == last) return bytes;
    }
  }
  return bytes;
}

RecordingSource::RecordingSource(FuzzedDataProvider& data) : data_(data), inner_(data) {
  seq_.spans.push_back(Span{});
}

void RecordingSource::record(Choice c) {
  c.categories = pending_categories_;
  pending_categories_ = {};
  seq_.spans.back().choices.push_back(std::move(c));
}

int64_t RecordingSource::integer(int64_t lo, int64_t hi) {
  const size_t before = data_.remaining_bytes();
  Choice c;
  c.kind = ChoiceKind::integer;
  c.lo = lo;
  c.hi = hi;
  c.value = inner_.integer(lo, hi);
  if (before - data_.remaining_bytes() < size_t(byte_width(c))) exhausted_ = true;
  record(std::move(c));
  return seq_.spans.back().choices.back().value;
}

uint32_t RecordingSource::bits32() {
  const size_t before = data_.remaining_bytes();
  Choice c;
  c.kind = ChoiceKind::bits32;
  c.lo = 0;
  c.hi = int64_t{UINT32_MAX};
  const uint32_t v = inner_.bits32();
  c.value = int64_t{v};
  if (before - data_.remaining_bytes() < 4) exhausted_ = true;
  pending_categories_ = {};  // a category hint belongs to an integer draw
  record(std::move(c));
  return v;
}

void RecordingSource::label(ChoiceLabel label) {
  pending_categories_ = {};
  seq_.spans.push_back(Span{label, {}});
}

void RecordingSource::categories(std::span<const int> weights) {
  pending_categories_ = Categories(weights);
}

DrawnCase draw_target_case(const FuzzTarget& target, props::Source& src) {
  DrawnCase d;
  src.label(ChoiceLabel::property);
  d.property = props::find_property(target.properties[src.index(target.properties.size())]);
  if (!d.property) return d;
  try {
    d.c = d.property->draw(src);
  } catch (const std::exception&) {
    // A generator bug: the fuzz target reports it; the mutator keeps the draws.
  }
  return d;
}

DecodedInput decode_input(const FuzzTarget& target, std::span<const uint8_t> bytes) {
  FuzzedDataProvider fdp(bytes.data(), bytes.size());
  RecordingSource rec(fdp);
  DecodedInput in;
  in.drawn = draw_target_case(target, rec);
  in.exhausted = rec.exhausted();
  in.choices = rec.take();
  return in;
}

}  // namespace qdiff::fuzz
