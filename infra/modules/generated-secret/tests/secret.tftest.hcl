# Applied to the session's emulator (tests/integration/test_terraform.py gives the provider its
# endpoint): Terraform's mock providers cannot run the module's ephemeral password.

variables {
  name                 = "tftest/generated-secret"
  description          = "A generated credential (terraform test)."
  secret_version       = 1
  recovery_window_days = 0
}

run "a_password_alone" {
  variables {
    length = 40
  }
}

run "the_password_is_written_and_never_in_state" {
  module {
    source = "./tests/reader"
  }

  variables {
    secret_id  = run.a_password_alone.id
    version_id = run.a_password_alone.version_id
  }

  assert {
    condition     = can(regex("^[A-Za-z0-9]{40}$", output.value))
    error_message = "40 letters and digits"
  }
}

run "basic_auth_credentials" {
  variables {
    name     = "tftest/generated-basic-auth"
    username = "admin"
  }
}

run "the_basic_auth_json_holds_an_htpasswd_line_of_the_password" {
  module {
    source = "./tests/reader"
  }

  variables {
    secret_id  = run.basic_auth_credentials.id
    version_id = run.basic_auth_credentials.version_id
  }

  assert {
    condition     = jsondecode(output.value).username == "admin" && length(jsondecode(output.value).password) == 32
    error_message = "the username and a 32-character password"
  }
  assert {
    condition     = startswith(jsondecode(output.value).htpasswd, "admin:$2a$")
    error_message = "an htpasswd line with the bcrypt of the password"
  }
}

run "a_recovery_window_outside_secrets_managers_range_is_refused" {
  command = plan

  variables {
    recovery_window_days = 3
  }

  expect_failures = [var.recovery_window_days]
}
