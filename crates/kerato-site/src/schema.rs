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
        name: "billing",
        sql: include_str!("../migrations/0005_billing.sql"),
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
