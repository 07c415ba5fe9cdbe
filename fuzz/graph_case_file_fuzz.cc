// libFuzzer target "graph_case_file": the case-file parser seeded with graph
// case files (fuzz/case_file_target.h), so mutations stay near the graph
// grammar (nodes, inputs, attributes, constants). Malformed text must be
// `malformed_case`; anything that parses must round-trip and pass the oracle.
#include "fuzz/case_file_target.h"
#include "fuzz/custom_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::case_file_fuzz_entry("graph_case_file", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("graph_case_file");
