// Choice codec: a fuzz target's input bytes ARE a sequence of choices.
//
// FdpSource (properties/fdp_source.h) answers each draw from a
// FuzzedDataProvider, which reads integers from the END of the buffer, most
// significant byte first: integer(lo, hi) takes byte_width(lo, hi) =
// ceil(bits(hi - lo) / 8) bytes and yields lo + raw % (hi - lo + 1); bits32()
// takes 4 bytes; a draw with hi <= lo takes none; once the buffer is empty
// every draw yields lo (a draw that runs out midway uses the bytes it got).
//
// RecordingSource decodes bytes exactly as the fuzz target does while
// recording every draw (kind, range, value, categories) grouped into spans by
// the generators' labels (props::ChoiceLabel). encode() is its inverse:
//
//   decode(encode(choices)) draws the same values, draw for draw.
//
// encode() writes the canonical form: each draw in its full width with raw =
// value - lo, except that trailing draws equal to lo are left out (an
// exhausted buffer yields lo) and the last draw written uses only the bytes
// its raw value needs (the provider stops there). Hence, for any bytes b,
// encode(decode(b)) is at most as long as b (unread leading bytes are
// dropped; a draw that ran out midway re-encodes in no more bytes than it
// read) and is a fixed point: encode(decode(encode(decode(b)))) ==
// encode(decode(b)).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "cases/case.h"
#include "fuzz/fuzz_driver.h"
#include "properties/fdp_source.h"
#include "properties/property.h"
#include "properties/source.h"

namespace qdiff::fuzz {

using props::ChoiceLabel;

std::string_view choice_label_name(ChoiceLabel label);

enum class ChoiceKind : uint8_t { integer, bits32 };

// The weights of a category draw (Source::weighted, chance), held inline:
// a decoded input has hundreds of draws, copied at each mutation.
class Categories {
 public:
  static constexpr size_t kMax = 12;  // the generators use at most 9
  Categories() = default;
  // More than kMax weights (or a weight beyond int16) are not kept: the
  // draw is then a plain integer to the mutator.
  explicit Categories(std::span<const int> weights);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int operator[](size_t i) const { return weights_[i]; }
  const int16_t* begin() const { return weights_.data(); }
  const int16_t* end() const { return weights_.data() + size_; }
  bool operator==(const Categories& o) const { return std::equal(begin(), end(), o.begin(), o.end()); }

 private:
  std::array<int16_t, kMax> weights_{};
  uint8_t size_ = 0;
};

struct Choice {
  ChoiceKind kind = ChoiceKind::integer;
  int64_t lo = 0;  // bits32: [0, 2^32 - 1]
  int64_t hi = 0;
  int64_t value = 0;
  // Set when the draw picks a category (Source::weighted, chance): the
  // weights; value v falls in category i when sum(w[0..i)) <= v - lo < sum(w[0..i]).
  Categories categories;

  bool operator==(const Choice&) const = default;
};

// Bytes the provider reads for the draw (0 when hi <= lo).
int byte_width(const Choice& c);
// value - lo as the provider's raw number.
uint64_t raw_value(const Choice& c);

// The draws after one label() call, up to the next one.
struct Span {
  ChoiceLabel label = ChoiceLabel::other;
  std::vector<Choice> choices;

  bool operator==(const Span&) const = default;
};

// Span 0 holds the draws made before the first label() (label `other`).
struct ChoiceSequence {
  std::vector<Span> spans;

  size_t draw_count() const;
  std::vector<Choice> flat() const;  // every draw, in order
  bool operator==(const ChoiceSequence&) const = default;
};

// Canonical bytes for the draws (see the header comment).
std::vector<uint8_t> encode(const ChoiceSequence& seq);

// A Source that answers from bytes as FdpSource does and records every draw.
class RecordingSource final : public props::Source {
 public:
  explicit RecordingSource(FuzzedDataProvider& data);
  int64_t integer(int64_t lo, int64_t hi) override;
  uint32_t bits32() override;
  void label(ChoiceLabel label) override;
  void categories(std::span<const int> weights) override;

  const ChoiceSequence& sequence() const { return seq_; }
  ChoiceSequence take() { return std::move(seq_); }
  // Some draw wanted more bytes than were left.
  bool exhausted() const { return exhausted_; }

 private:
  void record(Choice c);

  FuzzedDataProvider& data_;
  props::FdpSource inner_;
  ChoiceSequence seq_;
  Categories pending_categories_;
  bool exhausted_ = false;
};

// What a property target draws: the property its first draw picks (labeled
// `property`, as fuzz/fuzz_driver.cc decode_and_run picks it) and the case
// that property's generator draws (empty when the generator threw).
struct DrawnCase {
  const props::Property* property = nullptr;
  std::optional<Case> c;
};
DrawnCase draw_target_case(const FuzzTarget& target, props::Source& src);

// One input of a property target, decoded.
struct DecodedInput {
  ChoiceSequence choices;
  DrawnCase drawn;
  bool exhausted = false;  // some draw ran out of bytes
};
DecodedInput decode_input(const FuzzTarget& target, std::span<const uint8_t> bytes);

}  // namespace qdiff::fuzz
