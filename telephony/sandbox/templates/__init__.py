"""Asterisk configuration templates for the sandbox (package data: shipped in the wheel)."""
