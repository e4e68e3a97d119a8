variable "name" {
  description = "Name of the secret."
  type        = string
}

variable "description" {
  description = "What the secret holds, as Secrets Manager shows it."
  type        = string
}

variable "length" {
  description = "Length of the generated password (letters and digits)."
  type        = number
  default     = 32
}

variable "username" {
  description = "With a username, the secret is JSON: username, password and its htpasswd line (bcrypt); without, the password alone."
  type        = string
  default     = null
}

variable "secret_version" {
  description = "Bump to generate a new value (write-only: Terraform never sees it)."
  type        = number
}

variable "recovery_window_days" {
  description = "Days a deleted secret can be restored (0: deleted at once, or 7-30): the environment's protection."
  type        = number

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days must be 0 or from 7 to 30 (Secrets Manager's range)."
  }
}
