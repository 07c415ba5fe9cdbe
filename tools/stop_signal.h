// SIGINT and SIGTERM during a long run (`qdiff check`): the handler only
// records the signal (async-signal-safe); the run checks stop_signal()
// between steps, so the write in progress completes, the rows so far are
// reported, and the run exits 128 + the signal. A second signal while
// stopping kills the process at once.
#pragma once

namespace qdiff::tools {

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // restores the previous ones
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
};

// The signal received since the handlers were installed, or 0.
int stop_signal();

}  // namespace qdiff::tools
