// kbgpd-config-check FILE [-t yaml]: loads a gobgpd config the way kbgpd will, prints its
// canonical form on success, or the error (FILE:LINE: KEY: what) and exits 1.
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

int main(int argc, char** argv) {
  std::string file;
  std::string type = "yaml";
  for (int i = 1; i < argc; ++i) {
    if ((std::strcmp(argv[i], "-t") == 0 || std::strcmp(argv[i], "--config-type") == 0) &&
        i + 1 < argc) {
      type = argv[++i];
    } else if ((std::strcmp(argv[i], "-f") == 0 || std::strcmp(argv[i], "--config-file") == 0) &&
               i + 1 < argc) {
      file = argv[++i];
    } else if (argv[i][0] != '-' && file.empty()) {
      file = argv[i];
    } else {
      std::fprintf(stderr, "usage: %s [-t yaml] [-f] FILE\n", argv[0]);
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: %s [-t yaml] [-f] FILE\n", argv[0]);
    return 2;
  }
  absl::StatusOr<kbgp::config::Config> cfg = kbgp::config::LoadFile(file, type);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cfg.status().message()).c_str());
    return 1;
  }
  std::fputs(kbgp::config::Print(*cfg).c_str(), stdout);
  return 0;
}
