// The qdiff subcommands other than check (tools/check_command.h).
//   eval:    one case through one implementation, result JSON on stdout;
//            exit 0 (result), 3 (rejected input: error object), 2 (malformed),
//            1 (the case ran past case_timeout seconds, or its process died)
//   replay:  case files through the reference, every ISA and the oracle;
//            a case past case_timeout seconds is a failure (exit 1)
//   (case_timeout <= 0: no deadline; tools/case_deadline.h)
//   explain: a case file or fuzzer crash input as a readable summary plus
//            a pasteable GoogleTest regression test
//   faults:  measured detection power (FaultsOptions: tools/detection_power.h)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/detection_power.h"

namespace qdiff::tools {

int run_eval(const std::string& path, const std::string& impl, const std::optional<std::string>& isa,
             double case_timeout);
// With a backend command (docs/process-protocol.md), replay and explain
// judge that process backend instead of impl/ at every ISA, each request
// (and the hello, at least 10 s) within backend_timeout seconds; explain
// also takes a plug-in library (include/qdiff/backend.h).
int run_replay(const std::vector<std::string>& paths, double case_timeout, const std::string& backend_command = "",
               double backend_timeout = 10);
int run_explain(const std::string& path, const std::optional<std::string>& target,
                const std::string& backend_command = "", double backend_timeout = 10,
                const std::string& backend_library = "");
int run_faults(const FaultsOptions& options);

}  // namespace qdiff::tools
