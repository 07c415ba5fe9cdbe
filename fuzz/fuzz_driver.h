// Shared body of the libFuzzer targets: decode the bytes through the same
// generators as the RapidCheck suite (FdpSource) and run one of the
// target's properties (chosen by the first draw) against a backend.
//
// The libFuzzer entry points (fuzz/*_fuzz.cc) call fuzz_entry(), which uses
// the optimized implementation and, on a finding, prints the report, saves
// the case file and aborts so libFuzzer keeps the input. The qdiff command
// calls decode_and_run() directly to replay seeds and explain crash inputs.
//
// Environment read by fuzz_entry() (once):
//   QDIFF_FUZZ_ISA=scalar|avx2|avx512  force the kernel ISA (default: best)
//   QDIFF_FAULT=<fault point name>     inject a fault (detection-power runs)
//   QDIFF_BACKEND=<lib.so>             fuzz a plug-in (include/qdiff/backend.h)
//   QDIFF_BACKEND_CMD=<command>        fuzz a process backend (docs/process-protocol.md)
//   QDIFF_FINDINGS_DIR=<dir>           where case files of findings go
//                                      (default: the working directory)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "oracle/backend_interface.h"
#include "properties/property.h"

namespace qdiff::fuzz {

struct FuzzTarget {
  std::string_view name;                     // "quantize" -> quantize_fuzz
  std::vector<std::string_view> properties;  // Property names it runs
  std::string_view description;
};

// Every property-driven target (the case-file parser target is separate).
const std::vector<FuzzTarget>& property_fuzz_targets();
const FuzzTarget* find_fuzz_target(std::string_view name);

struct DecodedRun {
  const props::Property* property = nullptr;
  props::PropertyRun run;
  bool finding() const { return run.result.failed(); }
};

// Decodes `data` as the target would and runs the chosen property.
DecodedRun decode_and_run(const FuzzTarget& target, const uint8_t* data, size_t size,
                          const Backend& backend);

// The libFuzzer entry body for a property target.
int fuzz_entry(std::string_view target, const uint8_t* data, size_t size);

}  // namespace qdiff::fuzz
