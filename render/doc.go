// Package render turns an application's sources into resources.
//
// Every path is checked against the repository root (Root): nothing outside
// it is read, directly or through a symlink. Nothing from the repository is
// ever executed, and no cluster is contacted.
package render
