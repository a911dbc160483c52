// patina — the command-line tool. main() is the only place that turns errors into
// messages and exit codes (0 ok, 1 user error, 2 usage error, 3 internal error).
#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "patina/backend.hpp"
#include "patina/core/error.hpp"

namespace {

void print_error(const patina::error& e) {
  std::cerr << "patina: error: " << e.message << '\n';
  if (!e.detail.empty()) std::cerr << "  detail: " << e.detail << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Patina keeps a team's development knowledge — code symbols, beliefs and\n"
               "observations — in one database and answers questions by meaning.",
               "patina"};
  app.set_version_flag("-V,--version",
                       std::string("patina ") + patina::version_string + " (backend: " + patina::backend_name + ")");
  app.require_subcommand(0, 1);
  app.fallthrough();

  patina::cli::context ctx;
  app.add_option("--db", ctx.options.db,
                 "Database file to use instead of the project's (.patina/patina.db); also PATINA_DB")
      ->type_name("PATH");
  patina::cli::register_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return patina::exit_usage_error;
  }

  if (!ctx.has_action()) {
    std::cerr << app.help();
    return patina::exit_usage_error;
  }

  try {
    return ctx.run();
  } catch (const patina::exception& e) {
    print_error(e.get());
    return patina::exit_code_for(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << "patina: error: out of memory\n";
    return patina::exit_internal_error;
  } catch (const std::exception& e) {
    std::cerr << "patina: internal error: " << e.what()
              << "\n  This is a bug in Patina; please report it with the command you ran.\n";
    return patina::exit_internal_error;
  }
}
