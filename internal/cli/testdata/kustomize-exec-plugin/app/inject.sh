#!/bin/sh
touch /tmp/syncwave-pwned
cat
