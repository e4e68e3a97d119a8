variable "layer" {
  description = "The layer whose outputs are read, e.g. 01-base."
  type        = string

  validation {
    condition     = can(regex("^0[1-9]-[a-z-]+$", var.layer))
    error_message = "layer must be a layer's directory name, e.g. 01-base."
  }
}

variable "state_bucket" {
  description = "The environment's state bucket."
  type        = string
}

variable "region" {
  description = "Region of the state bucket."
  type        = string
}
