#!/bin/sh
# Runs inside the container before PID 1, on every start; stdin is the OCI state JSON.
state=$(cat)
echo "prepared container $(hostname) (state: $state)" > /tmp/app/started
echo "initscript: prepared"
