// The case-file mutator (fuzz/case_json_mutator.h) on the case_file and
// graph_case_file seeds: every mutation keeps the document a readable case
// (parse_case accepts it: data counts match shapes, integers stay in their
// dtype, graph ids stay consistent), and each changes what it names.
#include <gtest/gtest.h>

#include <cfloat>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cases/case.h"
#include "core/float_bits.h"
#include "fuzz/case_json_mutator.h"

namespace qdiff::fuzz {
namespace {

std::vector<std::string> seed_texts() {
  std::vector<std::string> texts;
  for (const char* dir : {"corpus/case_file", "corpus/graph_case_file", "corpus/regressions"}) {
    const std::filesystem::path p = std::filesystem::path(QDIFF_SOURCE_DIR) / dir;
    if (!std::filesystem::exists(p)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
      if (!e.is_regular_file() || e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      texts.push_back(ss.str());
    }
  }
  return texts;
}

TEST(CaseJsonMutator, EveryMutationKeepsACaseFileReadable) {
  const auto seeds = seed_texts();
  ASSERT_GE(seeds.size(), 10u);
  for (int k = 0; k < int(JsonMutation::kCount); ++k) {
    const JsonMutation m = JsonMutation(k);
    int applied = 0;
    for (size_t i = 0; i < seeds.size(); ++i) {
      props::PrngSource rng(uint64_t(k) * 1000 + i);
      for (int round = 0; round < 8; ++round) {
        const auto out = apply_json_mutation(m, seeds[i], rng);
        if (!out) continue;
        ++applied;
        EXPECT_NE(*out, seeds[i]);
        try {
          parse_case_file(*out);
        } catch (const Error& e) {
          ADD_FAILURE() << json_mutation_name(m) << " on seed " << i << ": " << e.what() << "\n" << *out;
        }
      }
    }
    EXPECT_GT(applied, 0) << json_mutation_name(m) << " never applied to the seeds";
  }
}

std::string docs_example() {
  // docs/case-file-format.md, first example.
  return R"({"format": "qdiff-case", "version": 1, "op": "quantize_affine", "contract": "torchao",
  "input": {"dtype": "f32", "shape": [2, 4], "data": [-1.0, 0.0, 0.75, 1.25, 2.0, -2.0, 0.25, 100.0]},
  "scale": {"dtype": "f32", "shape": [2, 1], "data": [0.5, 0.25]},
  "zero_point": {"dtype": "i32", "shape": [2, 1], "data": [0, 1]},
  "dtype": "i8", "quant_min": -128, "quant_max": 127, "zero_point_domain": "int"})";
}

const AffineCase& affine(const Case& c) { return std::get<AffineCase>(c); }

TEST(CaseJsonMutator, ContractChanges) {
  props::PrngSource rng(1);
  const auto out = apply_json_mutation(JsonMutation::contract, docs_example(), rng);
  ASSERT_TRUE(out);
  EXPECT_NE(affine(parse_case(*out)).contract, Contract::torchao);
}

TEST(CaseJsonMutator, ScaleEditsGivePowersOfTwoAndFltMin) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    props::PrngSource rng(seed);
    // Both scales (0.5 and 0.25) are already powers of two: nothing to do.
    EXPECT_FALSE(apply_json_mutation(JsonMutation::scale_pow2, docs_example(), rng));
    const auto out = apply_json_mutation(JsonMutation::scale_min_normal, docs_example(), rng);
    ASSERT_TRUE(out);
    const Tensor s = affine(parse_case(*out)).params.scale;
    EXPECT_TRUE(s.f32_at(0) == FLT_MIN || s.f32_at(1) == FLT_MIN);
  }
  std::string odd = docs_example();
  odd.replace(odd.find("[0.5, 0.25]"), 11, "[0.3, 0.7]");
  props::PrngSource rng(5);
  const auto out = apply_json_mutation(JsonMutation::scale_pow2, odd, rng);
  ASSERT_TRUE(out);
  const Tensor s = affine(parse_case(*out)).params.scale;
  // floor(log2 0.3) = -2, floor(log2 0.7) = -1.
  EXPECT_TRUE((s.f32_at(0) == 0.25f && s.f32_at(1) == 0.7f) || (s.f32_at(0) == 0.3f && s.f32_at(1) == 0.5f));
}

TEST(CaseJsonMutator, ValueTieIsOnAScaleTie) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    props::PrngSource rng(seed);
    const auto out = apply_json_mutation(JsonMutation::value_tie, docs_example(), rng);
    ASSERT_TRUE(out);
    const AffineCase c = affine(parse_case(*out));
    // Exactly one input value changed; scales 0.5 and 0.25 make (k + 0.5) * s
    // exact, so it is a tie of one of them or a float neighbour of one.
    const float original[] = {-1.0f, 0.0f, 0.75f, 1.25f, 2.0f, -2.0f, 0.25f, 100.0f};
    int changed = 0;
    for (int i = 0; i < 8; ++i) {
      const float x = c.input.f32_at(i);
      if (x == original[i]) continue;
      ++changed;
      bool near_tie = false;
      for (double s : {0.5, 0.25}) {
        const double k = std::round(double(x) / s - 0.5);
        const float tie = float((k + 0.5) * s);
        near_tie |= x == tie || x == next_up(tie) || x == next_down(tie);
      }
      EXPECT_TRUE(near_tie) << x;
    }
    EXPECT_LE(changed, 1);
  }
}

TEST(CaseJsonMutator, TensorDimKeepsDataCountsAndGraphInputs) {
  int graph_inputs = 0;
  for (const std::string& text : seed_texts()) {
    for (uint64_t seed = 0; seed < 10; ++seed) {
      props::PrngSource rng(seed);
      const auto out = apply_json_mutation(JsonMutation::tensor_dim, text, rng);
      if (!out) continue;
      const Case c = parse_case(*out);  // throws if a data count were off
      if (const auto* g = std::get_if<GraphCase>(&c)) {
        // Declared input shapes follow the fed tensors.
        const auto ids = g->graph.input_ids();
        for (size_t i = 0; i < ids.size() && i < g->inputs.size(); ++i) {
          EXPECT_EQ(g->graph.node(ids[i]).value.shape(), g->inputs[i].shape());
          ++graph_inputs;
        }
      }
    }
  }
  EXPECT_GT(graph_inputs, 0);
}

TEST(CaseJsonMutator, ReluInsertAndDeleteRenumberTheGraph) {
  int inserted = 0, deleted = 0;
  for (const std::string& text : seed_texts()) {
    const Case before = parse_case(text);
    const auto* g0 = std::get_if<GraphCase>(&before);
    if (!g0) continue;
    props::PrngSource rng(inserted + deleted);
    if (const auto out = apply_json_mutation(JsonMutation::relu_insert, text, rng)) {
      const Case after = parse_case(*out);
      const auto& g1 = std::get<GraphCase>(after);
      EXPECT_EQ(g1.graph.nodes.size(), g0->graph.nodes.size() + 1);
      // Inserting then deleting the only new relu is possible: at least one
      // relu now, and the outputs are still valid ids (parse checked that).
      ++inserted;
      if (const auto back = apply_json_mutation(JsonMutation::relu_delete, *out, rng)) {
        EXPECT_EQ(std::get<GraphCase>(parse_case(*back)).graph.nodes.size(), g0->graph.nodes.size());
        ++deleted;
      }
    }
  }
  EXPECT_GT(inserted, 3);
  EXPECT_GT(deleted, 3);
}

TEST(CaseJsonMutator, NonJsonAndDeepNestingAreLeftToByteMutation) {
  props::PrngSource rng(1);
  EXPECT_FALSE(mutate_case_json("not json", rng));
  EXPECT_FALSE(mutate_case_json("[1, 2, 3]", rng));
  EXPECT_FALSE(mutate_case_json(std::string(100000, '[') + std::string(100000, ']'), rng));
  std::string deep = "{\"a\":" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_FALSE(mutate_case_json(deep, rng));
}

TEST(CaseJsonMutator, CrossOverTakesAFieldFromTheOtherCase) {
  std::string other = docs_example();
  other.replace(other.find("\"torchao\""), 9, "\"onnx\"");
  props::PrngSource rng(2);
  const auto out = cross_over_case_json(docs_example(), other, rng);
  ASSERT_TRUE(out);
  EXPECT_EQ(affine(parse_case(*out)).contract, Contract::onnx);  // the only differing field
}

}  // namespace
}  // namespace qdiff::fuzz
