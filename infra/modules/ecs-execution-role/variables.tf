variable "name" {
  description = "Name of the role."
  type        = string
}

variable "description" {
  description = "What the role is for, as IAM shows it."
  type        = string
}

variable "policy_name" {
  description = "Name of the inline policy with what else the agent reads (secrets, parameters); null: none."
  type        = string
  default     = null
}

variable "policy" {
  description = "The inline policy's JSON document (with policy_name)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the role, over the provider's default tags."
  type        = map(string)
  default     = {}
}
