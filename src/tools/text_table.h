// TextTable: rows of cells printed as aligned columns, the header first.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace perfqos::tools {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void print(std::FILE* out) const {
    std::vector<std::size_t> width;
    for (const auto& row : rows_) {
      if (row.size() > width.size()) width.resize(row.size());
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
      }
      std::fprintf(out, "%s\n", line.c_str());
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace perfqos::tools
