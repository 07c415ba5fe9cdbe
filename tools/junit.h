// Minimal JUnit XML writer for CI systems (one testcase per report row),
// written through cases/durable_file.h.
#pragma once

#include <string>
#include <vector>

namespace qdiff::tools {

class JUnitReport {
 public:
  // An empty failure text means the case passed.
  void add(std::string classname, std::string name, double seconds, std::string failure);
  // A case that could not be judged (the run was interrupted): an <error>.
  void add_error(std::string classname, std::string name, std::string message);
  // Throws WriteError (cases/durable_file.h).
  void write(const std::string& path) const;
  std::string render() const;

  // Written at the start of a run and replaced by its final report, so a
  // killed run leaves an error, never the previous run's green report.
  static void write_incomplete(const std::string& path);

 private:
  struct Case {
    std::string classname, name, failure;
    double seconds;
    bool error = false;
  };
  std::vector<Case> cases_;
};

}  // namespace qdiff::tools
