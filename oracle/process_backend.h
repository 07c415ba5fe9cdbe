// A backend in another process, in any language: qdiff starts COMMAND once
// (/bin/sh -c COMMAND) and speaks the line protocol of
// oracle/process_protocol.h (docs/process-protocol.md) over its stdin and
// stdout. Every property judges it as it judges impl/:
//
// - an op or pass its hello does not list, or an {"unsupported": ...}
//   answer, throws NotApplicable (the case is discarded, not judged);
// - an error answer throws qdiff::Error of that kind (error parity);
// - a crash, a hang past the timeout, or a malformed answer throws
//   ProcessFailure (oracle/line_process.h): the property fails on that
//   case, shrinks it and saves it. The process is restarted for the next
//   request. When the failing request was not the first of its process, it
//   is re-run once in a fresh process and the message says whether the
//   failure is deterministic or depends on the earlier requests (then the
//   last requests are saved in process-sequence.jsonl, which replays it:
//   CMD < process-sequence.jsonl).
//
// Executing graphs is the backend's only when it lists the "graph" op; a
// pass-only backend declines it (the reference executes transformed
// graphs in the graph properties). Lowering is not in the protocol.
// Not thread-safe: one request at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "oracle/backend_interface.h"

namespace qdiff {

inline constexpr std::chrono::milliseconds kDefaultProcessTimeout{10000};

struct ProcessBackendOptions {
  std::string command;
  std::chrono::milliseconds timeout = kDefaultProcessTimeout;
  // Where request sequences of order-dependent failures go (empty: not saved).
  std::string sequence_dir;
};

// Starts the command and exchanges hello. Throws std::runtime_error when
// the process does not answer hello with a valid hello.
std::unique_ptr<Backend> start_process_backend(const ProcessBackendOptions& options);

}  // namespace qdiff
