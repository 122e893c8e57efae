#!/usr/bin/env bash
# Sourced by the scripts a user runs, for -h and --help:
#
#   simul_usage   prints the calling script's header comment, its usage:
#                 the lines after the #! line up to the first that is not
#                 a comment
#
# A script answers --help before it installs, builds or runs anything.

simul_usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[1]}"; }
