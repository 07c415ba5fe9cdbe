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
#include <vector>

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

// For a failure that depends on earlier requests (the backend keeps state):
// what a process backend sent (its current process's last 16 requests,
// oldest first; the count of all it sent), sending requests whose answers
// only set up state, and saving a sequence (with the hello) as
// sequence_dir/FILE_NAME; the text says where and how to replay it. Each
// throws std::logic_error for another kind of backend.
std::vector<std::string> recent_requests(const Backend& backend);
size_t requests_sent(const Backend& backend);
void send_requests(const Backend& backend, const std::vector<std::string>& requests);
std::string save_request_sequence(const Backend& backend, const std::vector<std::string>& requests,
                                  const std::string& file_name);

}  // namespace qdiff
