//! Verification after the replay: query the service (paged, filtered on
//! `active eq true`, and for hard unbinds every user of the scenario) and
//! list each member the scenario unbound that is still active or present.

use super::replay::Mode;
use super::schedule::{Schedule, user_name, user_prefix};
use super::scim::{ScimClient, ServiceConfig, page_size};
use std::collections::BTreeSet;

/// Names reported in full; beyond this only the count is kept.
const MAX_NAMES: usize = 1_000;

/// What the service still shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    /// Members the scenario unbound.
    pub unbound: u64,
    pub still_active_count: u64,
    pub still_active: Vec<String>,
    pub still_present_count: u64,
    pub still_present: Vec<String>,
}

impl Verification {
    pub fn clean(&self) -> bool {
        self.still_active_count == 0 && self.still_present_count == 0
    }
}

pub async fn verify(
    client: &ScimClient,
    config: &ServiceConfig,
    scenario: &str,
    schedule: &Schedule,
    mode: Mode,
) -> Result<Verification, String> {
    let prefix = user_prefix(scenario);
    let active = names(client, config, &format!("active eq true and userName sw \"{prefix}\"")).await?;
    let present = if mode.removes() {
        names(client, config, &format!("userName sw \"{prefix}\"")).await?
    } else {
        BTreeSet::new()
    };
    let mut verification = Verification { unbound: schedule.operations.len() as u64, ..Verification::default() };
    for operation in &schedule.operations {
        let name = user_name(scenario, operation.member);
        if active.contains(&name) {
            verification.still_active_count += 1;
            push_limited(&mut verification.still_active, &name);
        }
        if present.contains(&name) {
            verification.still_present_count += 1;
            push_limited(&mut verification.still_present, &name);
        }
    }
    Ok(verification)
}

async fn names(client: &ScimClient, config: &ServiceConfig, filter: &str) -> Result<BTreeSet<String>, String> {
    let users = client.list("Users", filter, "userName", page_size(config)).await?;
    Ok(users.iter().filter_map(|u| u["userName"].as_str().map(str::to_owned)).collect())
}

fn push_limited(names: &mut Vec<String>, name: &str) {
    if names.len() < MAX_NAMES {
        names.push(name.to_owned());
    }
}
