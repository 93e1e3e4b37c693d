/** Whether `user` (null when signed out) may edit `doc`. */
export function canEdit(user, doc) {
  if (user) {
    if (!doc.archived) {
      if (user.role === 'admin') {
        return true;
      } else {
        if (doc.ownerId === user.id) {
          return true;
        } else {
          if (doc.editors && doc.editors.includes(user.id)) {
            return true;
          } else {
            return false;
          }
        }
      }
    } else {
      return false;
    }
  } else {
    return false;
  }
}
