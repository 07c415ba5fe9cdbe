#include "fuzz/custom_mutator.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "fuzz/case_json_mutator.h"
#include "fuzz/choice_codec.h"
#include "fuzz/choice_mutations.h"
#include "fuzz/choice_replay.h"
#include "fuzz/fuzz_driver.h"

namespace qdiff::fuzz {

int default_byte_percent(std::string_view target) {
  // lowering: its faults are value-level (a fixed-point tie, nibble order,
  // a shift's sign) where byte mutation of long inputs does well, next to
  // squeeze_compaction, a shape fault the structured edits find sooner.
  // The shares were chosen by time to detection (docs/fuzzing.md).
  return target == "lowering" ? 50 : 20;
}

MutatorMode mutator_mode_from_env() {
  const char* v = std::getenv("QDIFF_MUTATOR");
  return v && std::string_view(v) == "plain" ? MutatorMode::plain : MutatorMode::structured;
}

namespace {

bool is_case_file_target(std::string_view target) {
  return target == "case_file" || target == "graph_case_file";
}

std::vector<uint8_t> byte_mutation(std::span<const uint8_t> input, size_t max_size, const ByteMutator& byte_mutator) {
  // The byte mutator may grow the input up to max_size in place.
  std::vector<uint8_t> buf(input.begin(), input.end());
  const size_t size = std::min(input.size(), max_size);
  buf.resize(std::max(max_size, size));
  const size_t n = byte_mutator ? byte_mutator(buf.data(), size, max_size) : size;
  buf.resize(std::min(n, max_size));
  return buf;
}

bool same(std::span<const uint8_t> a, const std::vector<uint8_t>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// The FIRST draws sit at the END of the buffer: cutting the front keeps them.
void fit(std::vector<uint8_t>& bytes, size_t max_size) {
  if (bytes.size() > max_size) bytes.erase(bytes.begin(), bytes.begin() + std::ptrdiff_t(bytes.size() - max_size));
}

CaseFacts facts_of(const DrawnCase& d) { return d.c ? case_facts(*d.c) : CaseFacts{}; }

// Decoded inputs by content. libFuzzer mutates its own output again (up to
// -mutate_depth times), mutates each corpus input many times and draws
// cross-over partners from the corpus, so the same bytes came to be decoded
// again and again: decoding (a run of the generators) was over half of the
// mutator's time in the profile (docs/fuzzing.md). Direct-mapped, exact
// (the bytes are compared), bounded; only speed depends on it, not results:
// decoding is deterministic, and the outputs are stored with the choices
// they encode (the codec is exact: decode(encode(choices)) == choices).
struct DecodedChoices {
  ChoiceSequence choices;
  CaseFacts facts;
};
class DecodeCache {
 public:
  static constexpr size_t kSlots = 256;

  const DecodedChoices& get(const FuzzTarget& target, std::span<const uint8_t> bytes) {
    Entry& e = slot(target, bytes);
    if (!e.holds(target, bytes)) {
      DecodedInput in = decode_input(target, bytes);
      e = Entry{std::string(target.name), {bytes.begin(), bytes.end()}, {std::move(in.choices), facts_of(in.drawn)}};
    }
    return e.decoded;
  }
  void put(const FuzzTarget& target, std::vector<uint8_t> bytes, DecodedChoices decoded) {
    Entry& e = slot(target, bytes);
    e = Entry{std::string(target.name), std::move(bytes), std::move(decoded)};
  }
  void clear() { slots_.assign(kSlots, Entry{}); }

 private:
  struct Entry {
    std::string target;
    std::vector<uint8_t> bytes;
    DecodedChoices decoded;
    bool holds(const FuzzTarget& t, std::span<const uint8_t> b) const {
      return !target.empty() && target == t.name && same(b, bytes);
    }
  };
  Entry& slot(const FuzzTarget& target, std::span<const uint8_t> bytes) {
    uint64_t h = 1469598103934665603ull ^ std::hash<std::string_view>{}(target.name);
    for (const uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;  // FNV-1a
    return slots_[h % kSlots];
  }
  std::vector<Entry> slots_ = std::vector<Entry>(kSlots);
};
thread_local DecodeCache decode_cache;

std::optional<std::vector<uint8_t>> mutate_choices(const FuzzTarget& target, std::span<const uint8_t> input,
                                                   size_t max_size, props::PrngSource& rng) {
  const DecodedChoices& decoded = decode_cache.get(target, input);
  ChoiceSequence seq = decoded.choices;
  CaseFacts facts = decoded.facts;
  // One mutation, sometimes two (libFuzzer stacks more by mutating again).
  const int rounds = 1 + int(rng.chance(25));
  bool mutated = false;
  for (int r = 0; r < rounds; ++r) {
    ChoiceSequence tmpl = seq;
    const auto applied = apply_random_mutation(tmpl, facts, rng);
    if (!applied) break;
    // Draws the template lacks (a span a structural mutation added: a new
    // dim's values, a new node) come from the generator's own distribution,
    // not lo: lo makes every added value the simplest one (quant_min, the
    // first category), and a tensor of equal values hides value-level
    // faults (fold_non_foldable_mul, 3 seeds: median 1,817 executions with
    // lo, 413 with the generator's draws).
    Replayed next = replay(target, tmpl, applied->second.fill_seed.value_or(rng.next()));
    seq = std::move(next.choices);
    facts = facts_of(next.drawn);
    mutated = true;
  }
  if (!mutated) return std::nullopt;
  std::vector<uint8_t> bytes = encode(seq);
  if (bytes.size() > max_size) {
    fit(bytes, max_size);  // the cut input decodes differently: not cached
  } else {
    decode_cache.put(target, bytes, {std::move(seq), std::move(facts)});
  }
  return bytes;
}

std::optional<std::vector<uint8_t>> splice_choices(const FuzzTarget& target, std::span<const uint8_t> a,
                                                   std::span<const uint8_t> b, size_t max_size,
                                                   props::PrngSource& rng) {
  // Copies: the second lookup may take the first one's slot.
  const ChoiceSequence sa = decode_cache.get(target, a).choices;
  const ChoiceSequence sb = decode_cache.get(target, b).choices;
  if (sa.spans.size() < 2 || sb.spans.size() < 2) return std::nullopt;
  // A's spans before i, then B's from a span j with A[i]'s label (span 0
  // and the property choice stay A's).
  for (int attempt = 0; attempt < 8; ++attempt) {
    const size_t i = 2 + rng.index(std::max<size_t>(sa.spans.size(), 3) - 2);
    if (i >= sa.spans.size()) continue;
    std::vector<size_t> js;
    for (size_t j = 2; j < sb.spans.size(); ++j) {
      if (sb.spans[j].label == sa.spans[i].label) js.push_back(j);
    }
    if (js.empty()) continue;
    const size_t j = js[rng.index(js.size())];
    ChoiceSequence tmpl;
    tmpl.spans.assign(sa.spans.begin(), sa.spans.begin() + std::ptrdiff_t(i));
    tmpl.spans.insert(tmpl.spans.end(), sb.spans.begin() + std::ptrdiff_t(j), sb.spans.end());
    std::vector<uint8_t> bytes = encode(replay(target, tmpl).choices);
    fit(bytes, max_size);
    return bytes;
  }
  return std::nullopt;
}

std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::vector<uint8_t> as_bytes(const std::string& text) { return {text.begin(), text.end()}; }

}  // namespace

void clear_decode_cache() { decode_cache.clear(); }

std::vector<uint8_t> mutate_input(std::string_view target, std::span<const uint8_t> input, size_t max_size,
                                  uint32_t seed, const ByteMutator& byte_mutator, const MutatorOptions& options) {
  props::PrngSource rng(seed);
  if (options.mode == MutatorMode::plain || rng.chance(options.byte_fallback_percent)) {
    return byte_mutation(input, max_size, byte_mutator);
  }
  std::optional<std::vector<uint8_t>> out;
  if (const FuzzTarget* t = find_fuzz_target(target)) {
    out = mutate_choices(*t, input, max_size, rng);
  } else if (is_case_file_target(target)) {
    if (auto text = mutate_case_json(as_text(input), rng); text && text->size() <= max_size) out = as_bytes(*text);
  }
  if (!out || same(input, *out)) return byte_mutation(input, max_size, byte_mutator);
  return *out;
}

std::vector<uint8_t> cross_over_inputs(std::string_view target, std::span<const uint8_t> a,
                                       std::span<const uint8_t> b, size_t max_size, uint32_t seed,
                                       const ByteMutator& byte_mutator, const MutatorOptions& options) {
  props::PrngSource rng(seed);
  // Plain: libFuzzer's own mutators, whose CrossOver reads the corpus. With
  // a custom mutator libFuzzer's mutation list is just {Custom,
  // CustomCrossOver}: half of all mutations come here, so the byte share
  // applies here too (always splicing choices measured worse on the
  // lowering target: fixed_point_round_half_up found in 0 of 3 runs of
  // 20 s; with 80 % byte mutations and -cross_over=0, in 79 and 268
  // executions).
  if (options.mode == MutatorMode::plain || rng.chance(options.byte_fallback_percent)) {
    return byte_mutation(a, max_size, byte_mutator);
  }
  std::optional<std::vector<uint8_t>> out;
  if (const FuzzTarget* t = find_fuzz_target(target)) {
    out = splice_choices(*t, a, b, max_size, rng);
  } else if (is_case_file_target(target)) {
    if (auto text = cross_over_case_json(as_text(a), as_text(b), rng); text && text->size() <= max_size) {
      out = as_bytes(*text);
    }
  }
  if (!out || out->empty() || same(a, *out)) return byte_mutation(a, max_size, byte_mutator);
  return *out;
}

namespace {

// A fuzz binary holds one target: the options are fixed at the first call.
const MutatorOptions& env_options(std::string_view target) {
  static const MutatorOptions options = [target] {
    MutatorOptions o;
    o.mode = mutator_mode_from_env();
    o.byte_fallback_percent = default_byte_percent(target);
    // QDIFF_MUTATOR_BYTE_PERCENT=P: P % of the calls go to the byte mutator.
    if (const char* p = std::getenv("QDIFF_MUTATOR_BYTE_PERCENT")) {
      const int v = std::atoi(p);
      if (v >= 0 && v <= 100) o.byte_fallback_percent = v;
    }
    std::fprintf(stderr,
                 "INFO: qdiff custom mutator: %s, %d%% of mutations and cross-overs by bytes (QDIFF_MUTATOR=plain: "
                 "libFuzzer's byte mutation only)\n",
                 o.mode == MutatorMode::plain ? "plain" : "structure-aware",
                 o.mode == MutatorMode::plain ? 100 : o.byte_fallback_percent);
    return o;
  }();
  return options;
}

}  // namespace

size_t libfuzzer_custom_mutator(std::string_view target, uint8_t* data, size_t size, size_t max_size,
                                unsigned int seed, const ByteMutator& byte_mutator) {
  const MutatorOptions& options = env_options(target);
  if (options.mode == MutatorMode::plain) return byte_mutator(data, size, max_size);
  const std::vector<uint8_t> out =
      mutate_input(target, std::span<const uint8_t>(data, size), max_size, seed, byte_mutator, options);
  if (!out.empty()) std::memcpy(data, out.data(), out.size());
  return out.size();
}

size_t libfuzzer_custom_cross_over(std::string_view target, const uint8_t* data1, size_t size1,
                                   const uint8_t* data2, size_t size2, uint8_t* out, size_t max_out_size,
                                   unsigned int seed, const ByteMutator& byte_mutator) {
  const std::vector<uint8_t> child =
      cross_over_inputs(target, std::span<const uint8_t>(data1, size1), std::span<const uint8_t>(data2, size2),
                        max_out_size, seed, byte_mutator, env_options(target));
  if (!child.empty()) std::memcpy(out, child.data(), child.size());
  return child.size();
}

}  // namespace qdiff::fuzz
