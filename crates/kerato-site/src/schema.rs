//! The vendor site's migrations, in order. Add new ones at the end; never
//! edit one that has shipped.

use kerato_db::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "site",
        sql: include_str!("../migrations/0001_site.sql"),
        dialect: None,
    },
    Migration {
        version: 2,
        name: "demo requests and outbox",
        sql: include_str!("../migrations/0002_demo_requests.sql"),
        dialect: None,
    },
    Migration {
        version: 3,
        name: "consents",
        sql: include_str!("../migrations/0003_consents.sql"),
        dialect: None,
    },
    Migration {
        version: 4,
        name: "accounts",
        sql: include_str!("../migrations/0004_accounts.sql"),
        dialect: None,
    },
    Migration {
        version: 5,
        name: "retention runs",
        sql: include_str!("../migrations/0005_retention.sql"),
        dialect: None,
    },
    Migration {
        version: 6,
        name: "telemetry",
        sql: include_str!("../migrations/0006_telemetry.sql"),
        dialect: None,
    },
    Migration {
        version: 7,
        name: "cookie choices, analytics, usage log and rights requests",
        sql: include_str!("../migrations/0007_privacy.sql"),
        dialect: None,
    },
    Migration {
        version: 8,
        name: "marketing contacts and campaigns",
        sql: include_str!("../migrations/0008_marketing.sql"),
        dialect: None,
    },
    Migration {
        version: 9,
        name: "tickets",
        sql: include_str!("../migrations/0009_tickets.sql"),
        dialect: None,
    },
    Migration {
        version: 10,
        name: "billing",
        sql: include_str!("../migrations/0010_billing.sql"),
        dialect: None,
    },
    Migration {
        version: 11,
        name: "password recovery",
        sql: include_str!("../migrations/0011_password_recovery.sql"),
        dialect: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_dense_and_increasing() {
        for (m, v) in MIGRATIONS.iter().zip(1..) {
            assert_eq!(m.version, v, "migration {} out of order", m.name);
        }
    }
}
