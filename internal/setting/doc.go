// Package setting models a product's per-machine settings: their
// declarations (name, type, default, description), the values one
// machine is given, and the templates (${name}) that services write them
// into. It is a leaf package so that the build (which reads the
// declarations from plinth.yaml), the installer (which takes one
// machine's values from install.yaml or the advanced screen and stores
// them in the installed config) and the appliance (which substitutes them
// into the services' command lines at every boot) share one model.
//
// In JSON (the installed config and the runtime image's product file) a
// Value is the plain JSON value of its type: a string, an integer, true
// or false, or an array of strings; a Template is its plinth.yaml text,
// "--name=${node}".
package setting
