// The choice codec (fuzz/choice_codec.h) and the replay (fuzz/choice_replay.h):
// encode() checked against FuzzedDataProvider itself on hand-worked bytes;
// decode -> encode -> decode is the identity on draws and cases for every
// property target; a recorded decode draws the very case the fuzz target
// draws; labels reach the recorder; replaying an unmutated decode changes
// nothing.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "fuzz/choice_codec.h"
#include "fuzz/choice_replay.h"
#include "fuzz/fuzz_driver.h"
#include "oracle/backend_interface.h"

namespace qdiff::fuzz {
namespace {

Choice integer_choice(int64_t lo, int64_t hi, int64_t value) {
  Choice c;
  c.kind = ChoiceKind::integer;
  c.lo = lo;
  c.hi = hi;
  c.value = value;
  return c;
}

Choice bits_choice(uint32_t v) {
  Choice c;
  c.kind = ChoiceKind::bits32;
  c.lo = 0;
  c.hi = UINT32_MAX;
  c.value = v;
  return c;
}

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t max_len) {
  std::vector<uint8_t> b(rng() % (max_len + 1));
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

std::string written(const DrawnCase& d) { return d.c ? write_case(*d.c) : std::string("<generator threw>"); }

TEST(ChoiceCodec, ByteWidthIsTheProvidersByteCount) {
  // FuzzedDataProvider reads one byte per started 8 bits of hi - lo.
  EXPECT_EQ(byte_width(integer_choice(5, 5, 5)), 0);
  EXPECT_EQ(byte_width(integer_choice(0, 1, 0)), 1);
  EXPECT_EQ(byte_width(integer_choice(0, 255, 0)), 1);
  EXPECT_EQ(byte_width(integer_choice(0, 256, 0)), 2);
  EXPECT_EQ(byte_width(integer_choice(-126, 127, 0)), 1);  // range 253
  EXPECT_EQ(byte_width(integer_choice(0, INT64_MAX - 1, 0)), 8);
  EXPECT_EQ(byte_width(bits_choice(0)), 4);
}

TEST(ChoiceCodec, EncodeIsReadBackByFuzzedDataProvider) {
  // Worked by hand. Draws, in order: integer(0, 1) = 1 (1 byte, raw 1);
  // integer(0, 999) = 513 (2 bytes, raw 0x0201); bits32 = 0xAABBCCDD;
  // integer(5, 5) = 5 (no byte); integer(-3, 3) = -3 (raw 0, trailing: left
  // out). The provider reads from the end, most significant byte first:
  // buf[6] = 01; buf[5] = 02, buf[4] = 01; buf[3..0] = AA BB CC DD.
  ChoiceSequence seq;
  seq.spans.push_back(Span{ChoiceLabel::other,
                           {integer_choice(0, 1, 1), integer_choice(0, 999, 513), bits_choice(0xAABBCCDDu),
                            integer_choice(5, 5, 5), integer_choice(-3, 3, -3)}});
  const std::vector<uint8_t> bytes = encode(seq);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0xDD, 0xCC, 0xBB, 0xAA, 0x01, 0x02, 0x01}));
  FuzzedDataProvider fdp(bytes.data(), bytes.size());
  EXPECT_EQ(fdp.ConsumeIntegralInRange<int64_t>(0, 1), 1);
  EXPECT_EQ(fdp.ConsumeIntegralInRange<int64_t>(0, 999), 513);
  EXPECT_EQ(fdp.ConsumeIntegral<uint32_t>(), 0xAABBCCDDu);
  EXPECT_EQ(fdp.ConsumeIntegralInRange<int64_t>(-3, 3), -3);  // exhausted: lo
  EXPECT_EQ(fdp.remaining_bytes(), 0u);
}

TEST(ChoiceCodec, LastDrawTakesOnlyItsSignificantBytes) {
  // integer(0, 65535) = 5 needs 2 bytes in the middle of a buffer but only
  // one at its front: the provider reads 0x05 and stops, 5 % 65536 = 5.
  ChoiceSequence seq;
  seq.spans.push_back(Span{ChoiceLabel::other, {integer_choice(0, 9, 7), integer_choice(0, 65535, 5)}});
  const std::vector<uint8_t> bytes = encode(seq);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0x05, 0x07}));
  FuzzedDataProvider fdp(bytes.data(), bytes.size());
  EXPECT_EQ(fdp.ConsumeIntegralInRange<int64_t>(0, 9), 7);
  EXPECT_EQ(fdp.ConsumeIntegralInRange<int64_t>(0, 65535), 5);
  // All draws at lo encode to nothing.
  ChoiceSequence simplest;
  simplest.spans.push_back(Span{ChoiceLabel::other, {integer_choice(3, 9, 3), bits_choice(0)}});
  EXPECT_TRUE(encode(simplest).empty());
}

// decode -> encode -> decode: same draws (kind, range, value, categories,
// labels) and the same case; the encoding is never longer than the input
// and is a fixed point. Covers inputs that run out midway.
TEST(ChoiceCodec, DecodeEncodeDecodeIsTheIdentity) {
  std::mt19937_64 rng(20240611);
  for (const FuzzTarget& target : property_fuzz_targets()) {
    int exhausted = 0, shorter = 0;
    for (int i = 0; i < 150; ++i) {
      const std::vector<uint8_t> bytes = random_bytes(rng, i % 3 == 0 ? 24 : 600);
      const DecodedInput first = decode_input(target, bytes);
      const std::vector<uint8_t> enc = encode(first.choices);
      const DecodedInput second = decode_input(target, enc);
      ASSERT_EQ(second.choices.flat(), first.choices.flat()) << target.name << " input " << i;
      ASSERT_EQ(second.choices, first.choices) << target.name << " spans differ, input " << i;
      ASSERT_EQ(written(second.drawn), written(first.drawn)) << target.name << " input " << i;
      ASSERT_LE(enc.size(), bytes.size()) << target.name << " input " << i;
      ASSERT_EQ(encode(second.choices), enc) << target.name << " not a fixed point, input " << i;
      exhausted += first.exhausted;
      shorter += enc.size() < bytes.size();
    }
    // Both regimes were exercised (short inputs run out; long ones have
    // unread leading bytes).
    EXPECT_GT(exhausted, 10) << target.name;
    EXPECT_GT(shorter, 10) << target.name;
  }
}

TEST(ChoiceCodec, ExhaustedInputReencodesToItsUsefulBytes) {
  // One byte for a two-property target: the property draw integer(0, 1)
  // reads it; every later draw yields lo. The canonical encoding keeps
  // exactly that byte when it selects property 1, and nothing for 0.
  const FuzzTarget& target = *find_fuzz_target("quantize");
  for (uint8_t b : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x02}, uint8_t{0x03}}) {
    const std::vector<uint8_t> one{b};
    const DecodedInput d = decode_input(target, one);
    EXPECT_TRUE(d.exhausted);
    const std::vector<uint8_t> enc = encode(d.choices);
    if (b % 2 == 1) {
      EXPECT_EQ(enc, (std::vector<uint8_t>{0x01}));
    } else {
      EXPECT_TRUE(enc.empty());
    }
    EXPECT_EQ(written(decode_input(target, enc).drawn), written(d.drawn));
  }
}

// The recorder is transparent: the fuzz target's own decode
// (decode_and_run, FdpSource) draws the same case from the same bytes.
TEST(ChoiceCodec, RecordingDrawsTheFuzzTargetsCase) {
  const auto backend = make_reference_backend();
  std::mt19937_64 rng(7);
  for (const FuzzTarget& target : property_fuzz_targets()) {
    for (int i = 0; i < 12; ++i) {
      const std::vector<uint8_t> bytes = random_bytes(rng, 400);
      const DecodedRun run = decode_and_run(target, bytes.data(), bytes.size(), *backend);
      const DecodedInput d = decode_input(target, bytes);
      ASSERT_EQ(d.drawn.property, run.property) << target.name;
      ASSERT_EQ(written(d.drawn), run.run.reproducer ? write_case(*run.run.reproducer) : "<generator threw>")
          << target.name << " input " << i;
    }
  }
}

std::set<ChoiceLabel> labels_seen(const FuzzTarget& target, int inputs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<ChoiceLabel> seen;
  for (int i = 0; i < inputs; ++i) {
    for (const Span& s : decode_input(target, random_bytes(rng, 800)).choices.spans) {
      if (!s.choices.empty()) seen.insert(s.label);
    }
  }
  return seen;
}

TEST(ChoiceCodec, GeneratorsLabelTheirDraws) {
  using L = ChoiceLabel;
  const auto quantize = labels_seen(*find_fuzz_target("quantize"), 200, 1);
  for (L l : {L::property, L::validity, L::contract, L::layout, L::rank, L::dim, L::dtype_range, L::scale,
              L::zero_point, L::value_f32, L::seed, L::block_size}) {
    EXPECT_TRUE(quantize.count(l)) << choice_label_name(l);
  }
  const auto qlinear = labels_seen(*find_fuzz_target("qlinear"), 200, 2);
  for (L l : {L::rank, L::dim, L::dtype_range, L::scale, L::zero_point, L::qvalue, L::layout}) {
    EXPECT_TRUE(qlinear.count(l)) << choice_label_name(l);
  }
  const auto graph = labels_seen(*find_fuzz_target("graph"), 200, 3);
  for (L l : {L::node_count, L::node_kind, L::mul_constant_shape, L::dim, L::dim_value, L::scale, L::contract,
              L::qvalue, L::value_any}) {
    EXPECT_TRUE(graph.count(l)) << choice_label_name(l);
  }
}

TEST(ChoiceCodec, CategoryDrawsCarryTheirWeights) {
  // chance(p) and weighted() announce their categories; plain integer
  // draws do not.
  std::mt19937_64 rng(11);
  int with = 0, consistent = 0;
  for (int i = 0; i < 50; ++i) {
    for (const Choice& c : decode_input(*find_fuzz_target("quantize"), random_bytes(rng, 500)).choices.flat()) {
      if (c.categories.empty()) continue;
      ++with;
      int64_t total = 0;
      for (int w : c.categories) total += w;
      consistent += c.lo == 0 && c.hi == total - 1;
    }
  }
  EXPECT_GT(with, 100);
  EXPECT_EQ(consistent, with);
}

TEST(ChoiceReplay, ReplayingAnUnmutatedDecodeChangesNothing) {
  std::mt19937_64 rng(5);
  for (const FuzzTarget& target : property_fuzz_targets()) {
    for (int i = 0; i < 60; ++i) {
      const DecodedInput d = decode_input(target, random_bytes(rng, 700));
      const Replayed r = replay(target, d.choices);
      ASSERT_EQ(r.choices, d.choices) << target.name << " input " << i;
      ASSERT_EQ(written(r.drawn), written(d.drawn)) << target.name << " input " << i;
    }
  }
}

TEST(ChoiceReplay, MissingSpansDrawTheSimplestChoice) {
  // An empty template: every span is "inserted", every draw lo: the
  // simplest case, which is also what an empty input decodes to.
  const FuzzTarget& target = *find_fuzz_target("qlinear");
  const Replayed r = replay(target, ChoiceSequence{});
  const DecodedInput d = decode_input(target, {});
  EXPECT_EQ(written(r.drawn), written(d.drawn));
  EXPECT_TRUE(encode(r.choices).empty());
}

}  // namespace
}  // namespace qdiff::fuzz
