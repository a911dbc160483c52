// scrape_dump: prints the code facts extracted from one file (a development aid).
//   scrape_dump FILE [RELATIVE_PATH]
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "patina/scrape/extractor.hpp"

using namespace patina::scrape;

namespace {
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}
std::string idx(std::uint32_t i) { return i == no_symbol ? "none" : std::to_string(i); }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: scrape_dump FILE [RELATIVE_PATH]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string content = ss.str();
  const std::string rel = argc > 2 ? argv[2] : argv[1];
  const auto lang = detect_language(rel);
  if (!lang) {
    std::cerr << "unknown language: " << rel << "\n";
    return 1;
  }
  extractor ex;
  const file_facts f = ex.extract(rel, refine_language(*lang, rel, content), content);
  std::cout << "file " << f.path << " " << to_string(f.lang) << " size=" << f.size << " hash=" << f.content_hash
            << " lines=" << f.line_count << "\n";
  for (std::size_t i = 0; i < f.symbols.size(); ++i) {
    const symbol& s = f.symbols[i];
    std::cout << i << ": " << to_string(s.kind) << " " << q(s.qualified_name) << " name=" << q(s.name) << " L"
              << s.start_line << "-" << s.end_line << " parent=" << idx(s.parent) << "\n    sig=" << q(s.signature);
    if (!s.doc.empty()) std::cout << "\n    doc=" << q(s.doc);
    if (!s.parameters.empty() || !s.return_type.empty()) {
      std::cout << "\n    params=[";
      for (const auto& p : s.parameters) std::cout << "{" << q(p.name) << "," << q(p.type) << "}";
      std::cout << "] ret=" << q(s.return_type);
    }
    const auto& fl = s.flags;
    std::cout << "\n    flags:" << (fl.is_async ? " async" : "") << (fl.is_static ? " static" : "")
              << (fl.is_public ? " public" : "") << (fl.is_const ? " const" : "") << (fl.is_virtual ? " virtual" : "")
              << (fl.is_abstract ? " abstract" : "") << (fl.is_unsafe ? " unsafe" : "")
              << (fl.is_declaration ? " decl" : "") << " generic=" << s.generic_count << "\n";
  }
  for (const auto& im : f.imports) {
    std::cout << "import " << q(im.path) << " L" << im.line;
    for (const auto& n : im.names) std::cout << " " << q(n);
    std::cout << "\n";
  }
  for (const auto& c : f.calls) {
    std::cout << "call " << idx(c.caller) << " -> " << q(c.callee) << " " << to_string(c.kind) << " L" << c.line << "\n";
  }
  for (const auto& p : f.problems) {
    std::cout << "problem " << to_string(p.kind) << " L" << p.line << " " << p.message << " [" << p.detail << "]\n";
  }
  return 0;
}
