"""Terraform: the layers and how they run, their docs tables, plan comments."""
