"""Blueprints, one small module each; every module exposes `bp`."""
