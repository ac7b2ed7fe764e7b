// The bash and zsh completion scripts of cli/completion/, for `kbgp completion bash|zsh`.
// Generated from those files by hand-copying; cli/completion_test.cc checks they match.
#ifndef KBGP_CLI_COMPLETION_H_
#define KBGP_CLI_COMPLETION_H_

namespace kbgp::cli {

inline constexpr const char kBashCompletion[] = R"KBGPCMPL(# bash completion for kbgp (source it, or install as /usr/share/bash-completion/completions/kbgp)
_kbgp() {
  local cur prev words
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local flags="-u -p --target -j -q --tls --tls-ca-file -a --current --reason --help --version"
  case "$prev" in
    -a|--address-family) COMPREPLY=($(compgen -W "ipv4 ipv6" -- "$cur")); return ;;
    -u|-p|--target|--tls-ca-file|--reason) return ;;
  esac
  local w=() i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -a|-u|-p|--target|--tls-ca-file|--reason) ((i++)) ;;
      -*) ;;
      *) w+=("${COMP_WORDS[i]}") ;;
    esac
  done
  local next=""
  case "${w[*]}" in
    "") next="global neighbor policy monitor mrt log-level completion" ;;
    "global") next="rib policy as router-id del" ;;
    "global rib") next="add del summary" ;;
    "global rib add"*|"global rib del"*) next="origin aspath nexthop med local-pref community large-community aggregator identifier rt all" ;;
    "global policy") next="import export" ;;
    "global policy import"|"global policy export") next="add set del" ;;
    "neighbor") next="add del $(kbgp neighbor -q 2>/dev/null)" ;;
    "neighbor add"*) next="as local-as family route-reflector-client route-server-client allow-own-as remove-private-as replace-peer-as ebgp-multihop-ttl" ;;
    "neighbor "*" "*) ;;
    "neighbor "*) next="adj-in adj-out local reset softreset softresetin softresetout shutdown enable disable policy" ;;
    "policy") next="prefix neighbor as-path community ext-community large-community statement add del" ;;
    "policy statement") next="add del" ;;
    "policy statement "*" add"|"policy statement "*" del") next="condition action" ;;
    "monitor") next="global neighbor" ;;
    "monitor global") next="rib" ;;
    "mrt") next="inject" ;;
    "mrt inject") next="global" ;;
    "log-level") next="panic fatal error warn info debug trace" ;;
    "completion") next="bash zsh" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$next" -- "$cur"))
  fi
}
complete -F _kbgp kbgp
)KBGPCMPL";
inline constexpr const char kZshCompletion[] = R"KBGPCMPL(#compdef kbgp
# zsh completion for kbgp: put this file in a directory on $fpath (e.g.
# /usr/share/zsh/vendor-completions/_kbgp). It reuses the bash completion's word lists.
autoload -U +X bashcompinit && bashcompinit
_kbgp() {
  local cur prev words
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local flags="-u -p --target -j -q --tls --tls-ca-file -a --current --reason --help --version"
  case "$prev" in
    -a|--address-family) COMPREPLY=($(compgen -W "ipv4 ipv6" -- "$cur")); return ;;
    -u|-p|--target|--tls-ca-file|--reason) return ;;
  esac
  local w=() i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -a|-u|-p|--target|--tls-ca-file|--reason) ((i++)) ;;
      -*) ;;
      *) w+=("${COMP_WORDS[i]}") ;;
    esac
  done
  local next=""
  case "${w[*]}" in
    "") next="global neighbor policy monitor mrt log-level completion" ;;
    "global") next="rib policy as router-id del" ;;
    "global rib") next="add del summary" ;;
    "global rib add"*|"global rib del"*) next="origin aspath nexthop med local-pref community large-community aggregator identifier rt all" ;;
    "global policy") next="import export" ;;
    "global policy import"|"global policy export") next="add set del" ;;
    "neighbor") next="add del $(kbgp neighbor -q 2>/dev/null)" ;;
    "neighbor add"*) next="as local-as family route-reflector-client route-server-client allow-own-as remove-private-as replace-peer-as ebgp-multihop-ttl" ;;
    "neighbor "*" "*) ;;
    "neighbor "*) next="adj-in adj-out local reset softreset softresetin softresetout shutdown enable disable policy" ;;
    "policy") next="prefix neighbor as-path community ext-community large-community statement add del" ;;
    "policy statement") next="add del" ;;
    "policy statement "*" add"|"policy statement "*" del") next="condition action" ;;
    "monitor") next="global neighbor" ;;
    "monitor global") next="rib" ;;
    "mrt") next="inject" ;;
    "mrt inject") next="global" ;;
    "log-level") next="panic fatal error warn info debug trace" ;;
    "completion") next="bash zsh" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$next" -- "$cur"))
  fi
}
complete -F _kbgp kbgp
)KBGPCMPL";

}  // namespace kbgp::cli

#endif  // KBGP_CLI_COMPLETION_H_
