// The structure-aware mutator (fuzz/custom_mutator.h, fuzz/choice_mutations.h)
// without libFuzzer: every mutation kind, applied to decoded random inputs,
// gives bytes that decode without trouble, leave the draws before the
// target untouched and change the targeted span; the semantic ones land
// where they say (a dim of 1, a vector width, a rank +-1, an exact tie, a
// power-of-two or FLT_MIN scale, an extreme contract); outputs respect
// max_size, are deterministic per seed, and fall back to the injected byte
// mutator as documented.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <random>

#include "core/float_bits.h"
#include "fuzz/choice_codec.h"
#include "fuzz/choice_mutations.h"
#include "fuzz/choice_replay.h"
#include "fuzz/custom_mutator.h"
#include "fuzz/fuzz_driver.h"
#include "properties/fused_generators.h"

namespace qdiff::fuzz {
namespace {

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t max_len) {
  std::vector<uint8_t> b(rng() % (max_len + 1));
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

std::vector<int64_t> values(const Span& s) {
  std::vector<int64_t> v;
  for (const auto& c : s.choices) v.push_back(c.value);
  return v;
}

// Where each mutation kind has something to do.
std::vector<std::string_view> targets_for(Mutation m) {
  switch (m) {
    case Mutation::value_tie:
    case Mutation::value_tie_neighbour: return {"quantize", "fake_quantize", "layout"};
    case Mutation::node_count_step:
    case Mutation::node_kind_change:
    case Mutation::mul_constant_shape: return {"graph"};
    default: return {"quantize", "dequantize", "choose_qparams", "qlinear", "qconv2d", "elementwise", "graph"};
  }
}

struct Applied {
  DecodedInput before;
  size_t at = 0;
  MutationSite site;
  DecodedInput after;  // decode(encode(replay(template)))
};

// Applies `m` at a random target of a random input until `count`
// applications succeeded (or inputs run out).
std::vector<Applied> apply_many(Mutation m, std::string_view target_name, int count, uint64_t seed,
                                const std::function<bool(const DecodedInput&, size_t)>& accept = {}) {
  const FuzzTarget& target = *find_fuzz_target(target_name);
  std::mt19937_64 bytes_rng(seed);
  props::PrngSource rng(seed);
  std::vector<Applied> out;
  for (int tries = 0; tries < 400 && int(out.size()) < count; ++tries) {
    Applied a;
    a.before = decode_input(target, random_bytes(bytes_rng, 900));
    const CaseFacts facts = a.before.drawn.c ? case_facts(*a.before.drawn.c) : CaseFacts{};
    const auto targets = mutation_targets(m, a.before.choices, facts);
    if (targets.empty()) continue;
    a.at = targets[rng.index(targets.size())];
    if (accept && !accept(a.before, a.at)) continue;
    ChoiceSequence tmpl = a.before.choices;
    const auto site = apply_mutation(m, tmpl, a.at, facts, rng);
    if (!site) continue;
    a.site = *site;
    const Replayed r = replay(target, tmpl, a.site.fill_seed);
    const std::vector<uint8_t> bytes = encode(r.choices);
    a.after = decode_input(target, bytes);
    EXPECT_EQ(a.after.choices, r.choices) << "re-encoded draws differ from the replay's";
    out.push_back(std::move(a));
  }
  return out;
}

// Every kind: decodes (the generator does not throw where it did not), the
// spans before the target are untouched, the targeted span changed.
TEST(ChoiceMutations, EveryKindChangesItsTargetAndNothingBefore) {
  for (int k = 0; k < int(Mutation::kCount); ++k) {
    const Mutation m = Mutation(k);
    int applied = 0, changed = 0;
    const auto targets = targets_for(m);
    const int per_target = std::max<int>(10, 30 / int(targets.size()));
    for (std::string_view target : targets) {
      for (const Applied& a : apply_many(m, target, per_target, 1000 + uint64_t(k))) {
        ++applied;
        // A swap edits its partner too, which may come first.
        const bool swap = m == Mutation::dims_swap || m == Mutation::scales_swap;
        const size_t first_edited = swap ? std::min(a.at, *a.site.other_span) : a.at;
        ASSERT_GE(a.after.choices.spans.size(), first_edited + 1) << mutation_name(m) << " " << target;
        for (size_t i = 0; i < first_edited; ++i) {
          ASSERT_EQ(a.after.choices.spans[i], a.before.choices.spans[i])
              << mutation_name(m) << " " << target << ": span " << i << " before the target changed";
        }
        // The first edited span: same label (the path up to it is the
        // same), other values.
        const Span& was = a.before.choices.spans[first_edited];
        const Span& now = a.after.choices.spans[first_edited];
        ASSERT_EQ(now.label, was.label) << mutation_name(m);
        changed += values(now) != values(was);
        if (a.before.drawn.c) {
          EXPECT_TRUE(a.after.drawn.c.has_value()) << mutation_name(m) << " " << target << ": generator threw";
        }
      }
    }
    EXPECT_GE(applied, 20) << mutation_name(m) << " was hardly ever applicable";
    // Extremes and scale edits may meet a span already at that value; the
    // rest always change it.
    EXPECT_GE(changed * 100, applied * 85) << mutation_name(m) << ": " << changed << " of " << applied;
  }
}

const Span* first_span(const ChoiceSequence& seq, ChoiceLabel label, size_t* index = nullptr) {
  for (size_t i = 0; i < seq.spans.size(); ++i) {
    if (seq.spans[i].label == label && !seq.spans[i].choices.empty()) {
      if (index) *index = i;
      return &seq.spans[i];
    }
  }
  return nullptr;
}

const QLinearCase* as_qlinear(const DecodedInput& d) {
  return d.drawn.c ? std::get_if<QLinearCase>(&*d.drawn.c) : nullptr;
}

// qlinear draws In first (draw_reduction_size, categories; "any size" is
// integer(1, 300)).
bool is_qlinear_in(const DecodedInput& d, size_t at) {
  size_t first = 0;
  return as_qlinear(d) && first_span(d.choices, ChoiceLabel::dim, &first) && first == at;
}

TEST(ChoiceMutations, DimToOneMakesQLinearInOne) {
  int checked = 0;
  for (const Applied& a : apply_many(Mutation::dim_to_one, "qlinear", 40, 11, is_qlinear_in)) {
    ASSERT_TRUE(as_qlinear(a.after));
    const Shape& was = as_qlinear(a.before)->args.x.shape();
    const Shape& now = as_qlinear(a.after)->args.x.shape();
    EXPECT_EQ(now[now.rank() - 1], 1) << "was " << was.str();
    checked += was[was.rank() - 1] != 1;
  }
  EXPECT_GE(checked, 20);
}

TEST(ChoiceMutations, DimVectorEdgeSetsQLinearInToTheWidth) {
  int checked = 0;
  for (const Applied& a : apply_many(Mutation::dim_vector_edge, "qlinear", 40, 12, is_qlinear_in)) {
    ASSERT_TRUE(as_qlinear(a.after) && a.site.value);
    const QLinearArgs& args = as_qlinear(a.after)->args;
    const Shape& now = args.x.shape();
    const int64_t in = now[now.rank() - 1], want = int64_t(*a.site.value);
    // The generator halves In only when In = want breaks its budget
    // (FusedLimits: K x In or rows x In elements, rows x K x In work).
    const int64_t k = args.w.shape()[0], rows = args.x.numel() / std::max<int64_t>(in, 1);
    const props::FusedLimits budget;
    const bool over_budget = k * want > budget.max_elements || rows * want > budget.max_elements ||
                             rows * k * want > budget.max_work;
    if (over_budget) {
      EXPECT_LT(in, want);
    } else {
      EXPECT_EQ(in, want) << "K " << k << ", rows " << rows;
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

TEST(ChoiceMutations, RankStepAddsOrRemovesOneQLinearBatchDim) {
  int added = 0, removed = 0;
  for (const Applied& a : apply_many(Mutation::rank_step, "qlinear", 60, 13)) {
    ASSERT_TRUE(as_qlinear(a.before) && as_qlinear(a.after));
    const int was = as_qlinear(a.before)->args.x.shape().rank();
    const int now = as_qlinear(a.after)->args.x.shape().rank();
    EXPECT_EQ(std::abs(now - was), 1) << was << " -> " << now;
    added += now > was;
    removed += now < was;
  }
  EXPECT_GT(added, 5);
  EXPECT_GT(removed, 5);
}

const AffineCase* as_affine(const DecodedInput& d) {
  return d.drawn.c ? std::get_if<AffineCase>(&*d.drawn.c) : nullptr;
}

TEST(ChoiceMutations, ValueTieLandsExactlyOnATieOfACaseScale) {
  int checked = 0;
  for (const Applied& a : apply_many(Mutation::value_tie, "quantize", 60, 14)) {
    const AffineCase* c = as_affine(a.after);
    ASSERT_TRUE(c && a.site.value);
    const float x = *a.site.value;
    // The value is in the re-drawn input, bit for bit.
    bool found = false;
    if (c->input.dtype() == DType::f32) {
      for (float v : c->input.data<float>()) found |= f32_bits(v) == f32_bits(x);
    }
    EXPECT_TRUE(found) << x;
    // And it is the f32 rounding of (k + 0.5) * s for a scale s of the
    // original case and an integer k.
    bool tie = false;
    for (float s : case_facts(*a.before.drawn.c).scales) {
      const double k = std::round(double(x) / double(s) - 0.5);
      tie |= float((k + 0.5) * double(s)) == x;
    }
    EXPECT_TRUE(tie) << x;
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

// Affine cases with one scale drawn directly (per-tensor, valid): the
// scale mutations then fix that scale's value.
bool single_scale(const DecodedInput& d, size_t at) {
  const AffineCase* c = as_affine(d);
  if (!c || c->params.scale.numel() != 1) return false;
  const Span* validity = first_span(d.choices, ChoiceLabel::validity);
  if (!validity || validity->choices[0].value >= 88) return false;  // draw_affine_case: >= 88 is invalid
  int scale_spans = 0;
  for (const Span& s : d.choices.spans) scale_spans += s.label == ChoiceLabel::scale && !s.choices.empty();
  return scale_spans == 1 && d.choices.spans[at].label == ChoiceLabel::scale;
}

TEST(ChoiceMutations, ScalePow2AndMinNormal) {
  int pow2 = 0, min_normal = 0;
  for (const Applied& a : apply_many(Mutation::scale_pow2, "quantize", 40, 15, single_scale)) {
    const float s = as_affine(a.after)->params.scale.f32_at(0);
    int e = 0;
    EXPECT_EQ(std::frexp(s, &e), 0.5f) << s;
    ++pow2;
  }
  for (const Applied& a : apply_many(Mutation::scale_min_normal, "quantize", 40, 16, single_scale)) {
    EXPECT_EQ(as_affine(a.after)->params.scale.f32_at(0), FLT_MIN);
    ++min_normal;
  }
  EXPECT_GE(pow2, 20);
  EXPECT_GE(min_normal, 20);
}

TEST(ChoiceMutations, ContractExtremeIsTheFirstOrLastContract) {
  int checked = 0;
  for (const Applied& a : apply_many(Mutation::contract_extreme, "quantize", 40, 17)) {
    const Contract was = as_affine(a.before)->contract, now = as_affine(a.after)->contract;
    EXPECT_NE(now, was);
    EXPECT_TRUE(now == kAllContracts[0] || now == kAllContracts[std::size(kAllContracts) - 1]);
    ++checked;
  }
  EXPECT_GE(checked, 30);
}

TEST(ChoiceMutations, GraphStructureMutationsMoveTheirChoice) {
  // node_count: the block count integer(1, 3) moves by one, or an optional
  // node's chance flips; node_kind / mul_constant_shape: another category.
  for (Mutation m : {Mutation::node_count_step, Mutation::node_kind_change, Mutation::mul_constant_shape}) {
    int checked = 0;
    for (const Applied& a : apply_many(m, "graph", 40, 18 + uint64_t(m))) {
      const Choice& was = a.before.choices.spans[a.at].choices[0];
      const Choice& now = a.after.choices.spans[a.at].choices[0];
      if (was.categories.empty()) {
        EXPECT_EQ(std::abs(now.value - was.value), 1) << mutation_name(m);
      } else {
        EXPECT_NE(now.value, was.value) << mutation_name(m);
      }
      ++checked;
    }
    EXPECT_GE(checked, 20) << mutation_name(m);
  }
}

// ---- the mutator entry points ------------------------------------------------

// A stand-in for LLVMFuzzerMutate: appends 0xAB (or overwrites the last byte).
size_t marker_mutator(uint8_t* data, size_t size, size_t max_size) {
  if (size < max_size) {
    data[size] = 0xAB;
    return size + 1;
  }
  if (size > 0) data[size - 1] = 0xAB;
  return size;
}

TEST(CustomMutator, OutputNeverExceedsMaxSize) {
  std::mt19937_64 rng(99);
  for (const FuzzTarget& t : property_fuzz_targets()) {
    for (size_t max_size : {size_t{1}, size_t{4}, size_t{16}, size_t{64}, size_t{4096}}) {
      for (uint32_t seed = 0; seed < 20; ++seed) {
        const auto in = random_bytes(rng, std::min<size_t>(max_size, 800));
        EXPECT_LE(mutate_input(t.name, in, max_size, seed, marker_mutator).size(), max_size);
        const auto other = random_bytes(rng, std::min<size_t>(max_size, 800));
        EXPECT_LE(cross_over_inputs(t.name, in, other, max_size, seed, marker_mutator).size(), max_size);
      }
    }
  }
}

TEST(CustomMutator, DeterministicForASeed) {
  std::mt19937_64 rng(3);
  for (const FuzzTarget& t : property_fuzz_targets()) {
    for (uint32_t seed = 0; seed < 10; ++seed) {
      const auto in = random_bytes(rng, 500);
      EXPECT_EQ(mutate_input(t.name, in, 4096, seed, marker_mutator),
                mutate_input(t.name, in, 4096, seed, marker_mutator));
    }
  }
}

TEST(CustomMutator, ResultsDoNotDependOnTheDecodeCache) {
  // libFuzzer mutates our output again, and the same corpus inputs many
  // times; the mutator then reuses the choices it kept instead of decoding.
  // The result must be what a fresh decode gives, for mutation and cross-over.
  std::mt19937_64 rng(31);
  for (const FuzzTarget& t : property_fuzz_targets()) {
    for (uint32_t seed = 0; seed < 10; ++seed) {
      const auto in = random_bytes(rng, 600), other = random_bytes(rng, 600);
      const auto first = mutate_input(t.name, in, 4096, seed, marker_mutator);
      const auto warm = mutate_input(t.name, first, 4096, seed + 100, marker_mutator);  // reuses
      const auto warm_child = cross_over_inputs(t.name, first, other, 4096, seed, marker_mutator);
      clear_decode_cache();
      const auto cold = mutate_input(t.name, first, 4096, seed + 100, marker_mutator);
      clear_decode_cache();
      const auto cold_child = cross_over_inputs(t.name, first, other, 4096, seed, marker_mutator);
      EXPECT_EQ(warm, cold) << t.name << " seed " << seed;
      EXPECT_EQ(warm_child, cold_child) << t.name << " seed " << seed;
    }
  }
}

TEST(CustomMutator, PlainModeIsTheByteMutator) {
  const std::vector<uint8_t> in{1, 2, 3};
  MutatorOptions plain;
  plain.mode = MutatorMode::plain;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(mutate_input("quantize", in, 64, seed, marker_mutator, plain),
              (std::vector<uint8_t>{1, 2, 3, 0xAB}));
    EXPECT_EQ(cross_over_inputs("quantize", in, {}, 64, seed, marker_mutator, plain),
              (std::vector<uint8_t>{1, 2, 3, 0xAB}));
  }
}

TEST(CustomMutator, ByteMutationIsAFifthOfTheCalls) {
  int calls = 0;
  const ByteMutator counting = [&](uint8_t* d, size_t n, size_t max) {
    ++calls;
    return marker_mutator(d, n, max);
  };
  std::mt19937_64 rng(4);
  const auto in = random_bytes(rng, 600);
  const int runs = 500;
  for (uint32_t seed = 0; seed < uint32_t(runs); ++seed) mutate_input("quantize", in, 4096, seed, counting);
  // 20% by the draw, plus the rare structured no-op: within [12%, 35%].
  EXPECT_GE(calls * 100, runs * 12);
  EXPECT_LE(calls * 100, runs * 35);
}

TEST(CustomMutator, CaseFileTargetsFallBackOnNonJson) {
  int calls = 0;
  const ByteMutator counting = [&](uint8_t* d, size_t n, size_t max) {
    ++calls;
    return marker_mutator(d, n, max);
  };
  const std::string text = "not json {";
  const std::vector<uint8_t> in(text.begin(), text.end());
  for (uint32_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(mutate_input("case_file", in, 64, seed, counting).back(), 0xAB);
  }
  EXPECT_EQ(calls, 20);
}

TEST(CustomMutator, StructuredOutputsDecodeAndDiffer) {
  // Many calls per target: no crash, the output decodes, mostly differs.
  std::mt19937_64 rng(8);
  for (const FuzzTarget& t : property_fuzz_targets()) {
    int differ = 0;
    for (uint32_t seed = 0; seed < 60; ++seed) {
      const auto in = random_bytes(rng, 700);
      const auto out = mutate_input(t.name, in, 4096, seed, marker_mutator);
      decode_input(t, out);
      differ += out != in;
    }
    EXPECT_GE(differ, 55) << t.name;
  }
}

TEST(CustomMutator, CrossOverKeepsThePrefixOfTheFirstInput) {
  std::mt19937_64 rng(21);
  const FuzzTarget& t = *find_fuzz_target("qlinear");
  int spliced = 0;
  for (uint32_t seed = 0; seed < 60; ++seed) {
    const auto a = random_bytes(rng, 700), b = random_bytes(rng, 700);
    const auto child = cross_over_inputs(t.name, a, b, 4096, seed, marker_mutator);
    if (!child.empty() && child.back() == 0xAB) continue;  // byte fallback
    const DecodedInput da = decode_input(t, a), dc = decode_input(t, child);
    // Span 0 and the property choice come from `a`.
    ASSERT_GE(dc.choices.spans.size(), 2u);
    EXPECT_EQ(values(dc.choices.spans[1]), values(da.choices.spans[1]));
    ++spliced;
  }
  EXPECT_GE(spliced, 40);
}

}  // namespace
}  // namespace qdiff::fuzz
