use kerato_store::testing::TestDb;
use kerato_store::{MIGRATIONS, meta, tenancy};

use crate::{location, now, organisation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_database_is_upgraded_and_keeps_its_data() {
    let db = TestDb::empty().await;
    assert_eq!(db.store.migrate_to(1, now()).await.unwrap(), 1);
    let mut tx = db.store.write().await.unwrap();
    meta::set(&mut tx, "install_id", "from-v1", now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let status = db.store.schema_status().await.unwrap();
    assert_eq!(status.current, 1);
    assert_eq!(status.pending.len(), MIGRATIONS.len() - 1);

    assert_eq!(db.store.migrate(now()).await.unwrap(), MIGRATIONS.len() - 1);
    let mut tx = db.store.write().await.unwrap();
    assert_eq!(
        meta::get(&mut tx, "install_id").await.unwrap().as_deref(),
        Some("from-v1")
    );
    let org = organisation("After upgrade");
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tenancy::insert_location(&mut tx, &location(&org, "New"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_does_nothing_the_second_time() {
    let db = TestDb::empty().await;
    assert_eq!(db.store.migrate(now()).await.unwrap(), MIGRATIONS.len());
    assert_eq!(db.store.migrate(now()).await.unwrap(), 0);
    let status = db.store.schema_status().await.unwrap();
    assert!(status.pending.is_empty());
    assert_eq!(status.current, status.latest);
}
