-- An organisation's user list pages newest first by (created_at, id) (src/modules/users/repository.ts:
-- listOrgUsers, keyset pagination). With only users_organisation_idx the server read every user of
-- the organisation and sorted them for each page; this index hands it the page in order, so a page
-- costs its 21 rows whatever the organisation's size. users_organisation_idx stays: foreign-key
-- checks and other look-ups by organisation alone use it.
create index users_organisation_created_idx on users (organisation_id, created_at desc, id desc);
