// LineProcess: a child process (/bin/sh -c COMMAND) spoken to one line at a
// time: a request line on its stdin, one answer line back on its stdout,
// within a deadline (poll()-based). Its stderr is qdiff's.
//
// Whatever the child does (crashes, exits, hangs, writes without a newline,
// writes two lines, stops reading) ends in a ProcessFailure naming what
// happened; the child (its whole process group) is then killed and reaped,
// and the next exchange() starts a fresh one. qdiff ignores SIGPIPE from
// then on (a child that died mid-request must not take qdiff with it); the
// child gets the default disposition back.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace qdiff {

// The backend process failed on a request: a finding about the backend,
// never an error of the case (so it is not an Error kind the oracle would
// compare for error parity).
class ProcessFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LineProcess {
 public:
  LineProcess(std::string command, std::chrono::milliseconds timeout);
  ~LineProcess();
  LineProcess(const LineProcess&) = delete;
  LineProcess& operator=(const LineProcess&) = delete;

  bool running() const { return pid_ > 0; }
  // Starts the child (a no-op while it runs). Throws ProcessFailure when
  // /bin/sh cannot be spawned.
  void start();
  // Sends `line` (no newline inside) and returns the answer line without
  // its newline. Throws ProcessFailure; the child is gone afterwards.
  std::string exchange(const std::string& line);
  // The same with its own deadline (a backend's start-up and hello).
  std::string exchange(const std::string& line, std::chrono::milliseconds timeout);
  // Kills and reaps the child, if any.
  void stop();

  const std::string& command() const { return command_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  void send_and_receive(const std::string& request, std::string& answer, std::chrono::milliseconds timeout);
  bool read_available(std::string& answer);
  [[noreturn]] void fail_exited(const std::string& when);
  [[noreturn]] void fail_with(const std::string& what);
  void close_pipes();

  std::string command_;
  std::chrono::milliseconds timeout_;
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  std::string pending_;  // answer bytes read so far
};

}  // namespace qdiff
